package org.tollgate.lb.balance;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * IP hash made consistent with Maglev's lookup table (Eisenbud et al., "Maglev: A Fast
 * and Reliable Software Network Load Balancer", NSDI 2016, section 3.4).
 *
 * <p>The table has a prime number of entries {@code M} (65537 by default), each owned by
 * one backend; a client goes to {@code table[hash(client address) mod M]}. Every backend
 * owns {@code M / N} entries, give or take one (in proportion to its weight), and who
 * owns an entry depends only on the names of the available backends, so every balancer
 * that knows the same backends builds the same table. How the table is filled is a
 * {@link Fill}:
 * <ul>
 * <li>{@link Fill#TURNS}, the paper's rule. Each backend has a preference list over the
 * entries, a permutation fixed by its name: {@code offset = h1(name) mod M},
 * {@code skip = h2(name) mod (M - 1) + 1}, its {@code j}-th preference is
 * {@code (offset + j * skip) mod M}. The backends take turns claiming their next
 * preferred entry that is still free until the table is full.</li>
 * <li>{@link Fill#BEST_SCORE}, the default. Every pair (entry, backend) has a score, a
 * hash of both; each backend has a quota of {@code M / N} entries (the remainder goes one
 * each to the backends whose names hash highest). Going through all pairs from the
 * highest score down, an entry goes to the backend if the entry is still free and the
 * backend still has room.</li>
 * </ul>
 *
 * <p>Both give the same balance (every backend owns the floor or the ceiling of its
 * share). They differ when a backend goes: its entries must move, and so must a few more,
 * because the other backends' shares grow. With turns, a backend that no longer loses a
 * race to the removed one claims a different entry, which displaces the next claimant,
 * and so on to the end of the fill: removing one of 1000 backends changes about 0.7% of a
 * 65537-entry table, seven times the removed backend's own 0.1%. With best scores an entry
 * moves only when a better-scoring entry pushes it out of a full backend; the chain stops
 * at the first backend with room, and about 0.43% change.
 *
 * <p>How this differs from nginx's {@code ip_hash}: nginx hashes only the first three
 * octets of an IPv4 address (so a whole /24 lands on one server) and the whole IPv6
 * address, takes it modulo the total weight and, when that server is down, rehashes up
 * to 20 times before falling back to round robin. Adding or removing a server changes
 * the modulus and remaps most clients, which is why nginx says to mark a server
 * {@code down} rather than delete it. Here every bit of the address counts, and the set
 * of backends can change while most clients stay where they were.
 *
 * <p>The table is rebuilt, copy-on-write, whenever a backend is added or removed or
 * changes weight or state; unavailable backends are left out of it, so their clients
 * are spread over the others. Lookups take no lock.
 */
public final class MaglevHash extends AbstractBalancer<MaglevHash.Table> {
    /** The table size the paper uses in its evaluation, a prime. */
    public static final int DEFAULT_TABLE_SIZE = 65537;

    private static final long SEED_OFFSET = 0x2545F4914F6CDD1DL;
    private static final long SEED_SKIP = 0x9E3779B97F4A7C15L;
    private static final long SEED_KEY = 0xC2B2AE3D27D4EB4FL;
    private static final long SEED_SCORE = 0x165667B19E3779F9L;
    private static final long SEED_RANK = 0x27D4EB2F165667C5L;
    /** How many candidates the best-score fill remembers per entry from one pass. */
    private static final int CANDIDATES = 4;

    /** How the lookup table is filled; see the class comment. */
    public enum Fill {
        /** The paper's: backends take turns claiming their next preferred free entry. */
        TURNS,
        /** Highest (entry, backend) score first, each backend up to its quota. */
        BEST_SCORE
    }

    /** Entry i holds the index (into the snapshot's available backends) of its owner. */
    static final class Table {
        final int[] owner;

        Table(int[] owner) {
            this.owner = owner;
        }
    }

    private final int tableSize;
    private final Fill fill;

    /**
     * A table of 65537 entries, the size the Maglev paper uses, filled by best score.
     * @param backends the initial backends
     */
    public MaglevHash(List<Backend> backends) {
        this(backends, DEFAULT_TABLE_SIZE, Fill.BEST_SCORE);
    }

    /**
     * {@code tableSize} must be prime and at least the number of backends; the paper wants it 100 times larger.
     * @param backends the initial backends
     * @param tableSize the table size M, a prime
     * @param fill how the table is filled
     */
    public MaglevHash(List<Backend> backends, int tableSize, Fill fill) {
        super(checkSize(tableSize, backends));
        this.tableSize = tableSize;
        this.fill = java.util.Objects.requireNonNull(fill, "fill");
    }

    @Override
    public Optional<Backend> choose(InetAddress client, Set<Backend> excluded) {
        return choose(client.getAddress(), excluded);
    }

    /**
     * The backend for any key (an L7 balancer may hash a cookie or a header instead of
     * the address). Excluded backends are passed over by walking on through the table, so
     * the retry for a key is as stable as its first choice.
     * @param key the bytes to hash
     * @param excluded backends not to choose
     * @return the backend, or empty when none is available
     */
    public Optional<Backend> choose(byte[] key, Set<Backend> excluded) {
        Snapshot<Table> s = snapshot();
        int[] owner = s.data.owner;
        if (s.available.length == 0) {
            return Optional.empty();
        }
        int slot = (int) Long.remainderUnsigned(hash(key, SEED_KEY), owner.length);
        for (int i = 0; i < owner.length; i++) {
            Backend b = s.available[owner[(slot + i) % owner.length]];
            if (!excluded.contains(b)) {
                return Optional.of(b);
            }
        }
        return Optional.empty();
    }

    @Override
    public String explain(InetAddress client, Backend chosen) {
        Snapshot<Table> s = snapshot();
        int[] owner = s.data.owner;
        if (s.available.length == 0) {
            return "ip-hash (Maglev): nothing available";
        }
        int slot = (int) Long.remainderUnsigned(hash(client.getAddress(), SEED_KEY), owner.length);
        Backend first = s.available[owner[slot]];
        return "ip-hash (Maglev): hash(" + client.getHostAddress() + ") -> slot " + slot + " of " + owner.length
                + ", owned by " + first.name() + (first == chosen ? "" : " (excluded; walked on to " + chosen.name() + ")")
                + "; " + first.name() + " owns " + count(owner, owner[slot]) + " slots";
    }

    private static int count(int[] owner, int who) {
        int n = 0;
        for (int o : owner) {
            if (o == who) {
                n++;
            }
        }
        return n;
    }

    /** {@return the table size M (a prime)} */
    public int tableSize() {
        return tableSize;
    }

    /** The current lookup table, one backend per entry (for tests and diagnostics). */
    Backend[] lookupTable() {
        Snapshot<Table> s = snapshot();
        Backend[] table = new Backend[s.data.owner.length];
        for (int i = 0; i < table.length; i++) {
            table[i] = s.available[s.data.owner[i]];
        }
        return table;
    }

    @Override
    void checkBackends(List<Backend> backends) {
        // tableSize is not yet set while the constructor runs; checkSize covers that call.
        if (tableSize != 0 && backends.size() > tableSize) {
            throw new IllegalArgumentException(backends.size() + " backends do not fit a Maglev table of " + tableSize);
        }
    }

    @Override
    Table build(Backend[] available) {
        int[] owner = new int[tableSize];
        if (available.length == 0) {
            return new Table(owner);
        }
        return new Table(fill == Fill.TURNS ? fillByTurns(available, tableSize) : fillByBestScore(available, tableSize));
    }

    /** The paper's fill: in each round every backend claims its next preferred free entry. */
    private static int[] fillByTurns(Backend[] available, int m) {
        int n = available.length;
        int[] owner = new int[m];
        java.util.Arrays.fill(owner, -1);
        long[] offset = new long[n];
        long[] skip = new long[n];
        long[] next = new long[n];
        int[] weight = new int[n];
        int[] credit = new int[n];
        int maxWeight = 0;
        for (int i = 0; i < n; i++) {
            byte[] name = available[i].name().getBytes(StandardCharsets.UTF_8);
            offset[i] = Long.remainderUnsigned(hash(name, SEED_OFFSET), m);
            skip[i] = Long.remainderUnsigned(hash(name, SEED_SKIP), m - 1) + 1;
            weight[i] = available[i].weight();
            maxWeight = Math.max(maxWeight, weight[i]);
        }
        int filled = 0;
        while (true) {
            for (int i = 0; i < n; i++) {
                // Weighted turns: a backend of weight w claims in w of every maxWeight rounds.
                credit[i] += weight[i];
                if (credit[i] < maxWeight) {
                    continue;
                }
                credit[i] -= maxWeight;
                int c = (int) ((offset[i] + next[i] * skip[i]) % m);
                while (owner[c] >= 0) {
                    next[i]++;
                    c = (int) ((offset[i] + next[i] * skip[i]) % m);
                }
                owner[c] = i;
                next[i]++;
                if (++filled == m) {
                    return owner;
                }
            }
        }
    }

    /**
     * The best-score fill. Described as a walk over all pairs from the highest score down,
     * it is computed as the entries proposing: each free entry asks the backend it scores
     * highest among those that have not yet turned it down; a backend over its quota turns
     * down its lowest-scoring entry, which asks on. The result is the same (it is the one
     * assignment in which no entry and backend would both rather have each other), and
     * most entries are placed at their first ask.
     */
    private static int[] fillByBestScore(Backend[] available, int m) {
        int n = available.length;
        Integer[] byName = new Integer[n];
        for (int i = 0; i < n; i++) {
            byName[i] = i;
        }
        java.util.Arrays.sort(byName, (a, b) -> available[a].name().compareTo(available[b].name()));
        // Backends in name order, so that the table does not depend on the order given.
        long[] key = new long[n];
        int[] quota = quotas(available, byName, m);
        for (int r = 0; r < n; r++) {
            key[r] = hash(available[byName[r]].name().getBytes(StandardCharsets.UTF_8), SEED_SCORE);
        }
        Held[] held = new Held[n];
        for (int r = 0; r < n; r++) {
            held[r] = new Held(quota[r]);
        }
        // Each entry's next few candidates, best first, found in one pass over the backends
        // (a pass scores every backend, so it is the expensive step); an entry turned down
        // by all of them looks again, below the last one it asked.
        long[] candidateScore = new long[m * CANDIDATES];
        int[] candidate = new int[m * CANDIDATES];
        int[] candidates = new int[m];
        int[] nextCandidate = new int[m];
        long[] askedScore = new long[m];
        int[] askedBackend = new int[m];
        java.util.Arrays.fill(askedBackend, -1);
        int[] waiting = new int[m];
        int waitingCount = 0;
        for (int e = m - 1; e >= 0; e--) {
            waiting[waitingCount++] = e;
        }
        while (waitingCount > 0) {
            int e = waiting[--waitingCount];
            if (nextCandidate[e] == candidates[e]) {
                candidates[e] = bestBelow(entryKey(e), key, askedScore[e], askedBackend[e], candidateScore, candidate, e * CANDIDATES);
                nextCandidate[e] = 0;
            }
            int at = e * CANDIDATES + nextCandidate[e]++;
            int best = candidate[at];
            long bestScore = candidateScore[at];
            askedScore[e] = bestScore;
            askedBackend[e] = best;
            held[best].add(bestScore, e);
            if (held[best].size() > quota[best]) {
                waiting[waitingCount++] = held[best].removeWeakest(); // turned down: asks on
            }
        }
        int[] owner = new int[m];
        for (int r = 0; r < n; r++) {
            for (int k = 0; k < held[r].size(); k++) {
                owner[held[r].entry(k)] = byName[r];
            }
        }
        return owner;
    }

    /**
     * Writes into {@code score}/{@code backend} from {@code at} the up to {@link #CANDIDATES}
     * backends that score highest for an entry, among those below (limitScore of
     * limitBackend), best first (all backends when limitBackend is -1); returns how many.
     */
    private static int bestBelow(long entryKey, long[] key, long limitScore, int limitBackend,
            long[] score, int[] backend, int at) {
        int found = 0;
        long floor = Long.MIN_VALUE; // the last candidate's score once all slots are taken
        for (int r = 0; r < key.length; r++) {
            long sc = score(entryKey, key[r]);
            if (sc < floor || (limitBackend >= 0 && !lower(sc, r, limitScore, limitBackend))) {
                continue; // no better than what we have, or asked already (or turned down)
            }
            if (found == CANDIDATES && !lower(score[at + found - 1], backend[at + found - 1], sc, r)) {
                continue;
            }
            int i = Math.min(found, CANDIDATES - 1);
            while (i > 0 && lower(score[at + i - 1], backend[at + i - 1], sc, r)) {
                score[at + i] = score[at + i - 1];
                backend[at + i] = backend[at + i - 1];
                i--;
            }
            score[at + i] = sc;
            backend[at + i] = r;
            found = Math.min(found + 1, CANDIDATES);
            if (found == CANDIDATES) {
                floor = score[at + CANDIDATES - 1];
            }
        }
        return found;
    }

    /**
     * Quotas in proportion to weight, rounded down; the entries left over go one each to
     * the backends whose names hash highest (a rank that depends on names only).
     */
    private static int[] quotas(Backend[] available, Integer[] byName, int m) {
        int n = available.length;
        long[] weight = new long[n]; // read once: weights may change while this runs
        long totalWeight = 0;
        for (int r = 0; r < n; r++) {
            weight[r] = available[byName[r]].weight();
            totalWeight += weight[r];
        }
        int[] quota = new int[n];
        int left = m;
        Integer[] byRank = new Integer[n];
        long[] rank = new long[n];
        for (int r = 0; r < n; r++) {
            quota[r] = (int) (m * weight[r] / totalWeight);
            left -= quota[r];
            rank[r] = hash(available[byName[r]].name().getBytes(StandardCharsets.UTF_8), SEED_RANK);
            byRank[r] = r;
        }
        java.util.Arrays.sort(byRank, (a, b) -> rank[a] != rank[b] ? Long.compareUnsigned(rank[b], rank[a]) : a - b);
        for (int k = 0; k < left; k++) {
            quota[byRank[k]]++;
        }
        return quota;
    }

    private static long entryKey(int entry) {
        return mix(entry * 0x9E3779B97F4A7C15L + SEED_SCORE);
    }

    private static long score(long entryKey, long backendKey) {
        return mix(entryKey ^ backendKey);
    }

    /** Whether (score a of backend ra) ranks below (score b of backend rb); ties go by name order. */
    private static boolean lower(long a, int ra, long b, int rb) {
        return a < b || (a == b && ra > rb);
    }

    /**
     * The entries a backend holds in the best-score fill: a binary min-heap on (score,
     * entry), so the weakest entry, the one to give up when over quota, is at the top.
     */
    private static final class Held {
        private final long[] score;
        private final int[] entry;
        private int size;

        Held(int quota) {
            score = new long[quota + 1];
            entry = new int[quota + 1];
        }

        int size() {
            return size;
        }

        int entry(int k) {
            return entry[k];
        }

        /** Adds entry {@code e} with {@code s} (ties: the higher entry number is the weaker). */
        void add(long s, int e) {
            int i = size++;
            while (i > 0 && lower(s, e, score[(i - 1) / 2], entry[(i - 1) / 2])) {
                move((i - 1) / 2, i);
                i = (i - 1) / 2;
            }
            score[i] = s;
            entry[i] = e;
        }

        /** Removes and returns the weakest entry. */
        int removeWeakest() {
            int weakest = entry[0];
            long s = score[--size];
            int e = entry[size];
            int i = 0;
            while (2 * i + 1 < size) {
                int child = 2 * i + 1;
                if (child + 1 < size && lower(score[child + 1], entry[child + 1], score[child], entry[child])) {
                    child++;
                }
                if (!lower(score[child], entry[child], s, e)) {
                    break;
                }
                move(child, i);
                i = child;
            }
            score[i] = s;
            entry[i] = e;
            return weakest;
        }

        private void move(int from, int to) {
            score[to] = score[from];
            entry[to] = entry[from];
        }
    }

    /**
     * A 64-bit hash: FNV-1a over the bytes from a seeded basis, then MurmurHash3's
     * 64-bit finalizer so that nearby inputs (consecutive addresses, names that differ in
     * the last digit) land far apart. Fixed seeds: every balancer instance, on any
     * machine, builds the same table from the same names.
     */
    static long hash(byte[] data, long seed) {
        long h = 0xcbf29ce484222325L ^ seed;
        for (byte b : data) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return mix(h);
    }

    /** MurmurHash3's 64-bit finalizer. */
    private static long mix(long h) {
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }

    private static List<Backend> checkSize(int tableSize, List<Backend> backends) {
        if (tableSize < 2 || !java.math.BigInteger.valueOf(tableSize).isProbablePrime(30)) {
            throw new IllegalArgumentException("the Maglev table size must be a prime, not " + tableSize);
        }
        if (backends.size() > tableSize) {
            throw new IllegalArgumentException(backends.size() + " backends do not fit a Maglev table of " + tableSize);
        }
        return backends;
    }
}
