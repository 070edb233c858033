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
 * <p>The table has a prime number of entries {@code M} (65537 by default). Each backend
 * has a preference list over the entries, a permutation fixed by its name alone:
 * {@code offset = h1(name) mod M}, {@code skip = h2(name) mod (M - 1) + 1}, and its
 * {@code j}-th preference is {@code (offset + j * skip) mod M} (M prime, so every skip
 * visits every entry). The backends take turns claiming their next preferred entry that
 * is still free until the table is full, so each owns {@code M / N} entries, give or
 * take one. A client goes to {@code table[hash(client address) mod M]}.
 *
 * <p>Because preferences depend only on names, removing one of N backends frees its
 * entries and disturbs few others: about 1/N of clients move (a little more, the paper's
 * price for perfect balance), where a modulo hash {@code hash mod N} moves almost all.
 * Weights: a backend of weight {@code w} takes a turn in {@code w} of every
 * {@code maxWeight} rounds, so it owns entries in proportion to its weight.
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

    /** Entry i holds the index (into the snapshot's available backends) of its owner. */
    static final class Table {
        final int[] owner;

        Table(int[] owner) {
            this.owner = owner;
        }
    }

    private final int tableSize;

    /**
     * A table of 65537 entries, the size the Maglev paper uses.
     * @param backends the initial backends
     */
    public MaglevHash(List<Backend> backends) {
        this(backends, DEFAULT_TABLE_SIZE);
    }

    /**
     * {@code tableSize} must be prime and at least the number of backends; the paper wants it 100 times larger.
     * @param backends the initial backends
     * @param tableSize the table size M, a prime
     */
    public MaglevHash(List<Backend> backends, int tableSize) {
        super(checkSize(tableSize, backends));
        this.tableSize = tableSize;
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
        int m = tableSize;
        int n = available.length;
        int[] owner = new int[m];
        if (n == 0) {
            return new Table(owner);
        }
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
                    return new Table(owner);
                }
            }
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
