package org.tollgate.tls.explain;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.security.auth.x500.X500Principal;
import org.tollgate.tls.CipherSuite;
import org.tollgate.tls.HandshakeTrace;
import org.tollgate.tls.KeyLog;
import org.tollgate.tls.NamedGroup;
import org.tollgate.tls.ProtocolVersion;
import org.tollgate.tls.TlsConfig;
import org.tollgate.tls.TlsException;
import org.tollgate.tls.cert.CertificateVerifier;
import org.tollgate.tls.cert.HostnameVerifier;
import org.tollgate.tls.handshake.CertificateMessage;
import org.tollgate.tls.handshake.ClientHello;
import org.tollgate.tls.handshake.Extension;
import org.tollgate.tls.handshake.ExtensionType;
import org.tollgate.tls.handshake.Extensions;
import org.tollgate.tls.handshake.KeySchedule;
import org.tollgate.tls.handshake.ServerHello;
import org.tollgate.tls.wire.WireReader;

/**
 * Explains a live handshake as the six steps of the classic story of TLS, from what the
 * engine reports: every handshake message with its bytes ({@link HandshakeTrace}), every
 * secret ({@link KeyLog}), and what the program says about application data and close.
 * Each step shows the message's fields, its bytes as an annotated hex dump, the RFC section,
 * and where TLS 1.3 departs from the classic (TLS 1.2) story.
 *
 * <pre>{@code
 * HandshakeExplainer explainer = new HandshakeExplainer(System.err, verifier);
 * TlsConfig config = HandshakeExplainer.wire(TlsConfig.builder().verifier(verifier).build(), explainer);
 * }</pre>
 *
 * <p>It prints as the handshake happens, and keeps what it said ({@link #explanations()})
 * for {@link HtmlPage}. One explainer follows one connection at a time: a new ClientHello
 * starts a new explanation, so a server with concurrent handshakes interleaves them.
 *
 * <p>The secrets it shows are real: print this only for test and demo connections.
 */
public final class HandshakeExplainer implements HandshakeTrace, KeyLog {
    private static final String RSA_REMOVED = "Why TLS 1.3 removed RSA key exchange: there the client encrypted the"
            + " premaster secret to the server's long-term RSA key, so anyone who later gets that key decrypts every"
            + " recorded session (no forward secrecy), and PKCS#1 v1.5 decryption kept inviting Bleichenbacher padding"
            + " oracles (ROBOT, 2017). TLS 1.3 keeps only ephemeral (EC)DHE, whose private keys are thrown away"
            + " (RFC 8446 §1.2, Appendix E.1).";

    private final PrintStream out;
    private final CertificateVerifier trust;
    private final List<Explanation> explanations = new ArrayList<>();

    // The connection being explained.
    private Explanation current;
    private Explanation.Step step;
    private Boolean client;
    private boolean helloRetry;
    private ClientHello clientHello;
    private CipherSuite suite;
    private NamedGroup group;
    private String serverName;
    private List<X509Certificate> peerChain = List.of();
    private boolean certificateCheckOpen;
    private final Map<String, byte[]> secrets = new LinkedHashMap<>();
    private boolean applicationDataExplained;

    /** Explains to {@code out}, without knowing the trust anchors. */
    public HandshakeExplainer(PrintStream out) {
        this(out, null);
    }

    /**
     * Explains to {@code out}; with {@code trust} (the client's verifier) step 3 names the
     * trusted CA that anchors the server's chain.
     */
    public HandshakeExplainer(PrintStream out, CertificateVerifier trust) {
        this.out = out;
        this.trust = trust;
    }

    /** Sets {@code explainer} as the builder's trace and key log (replacing what was there). */
    public static TlsConfig.Builder explain(TlsConfig.Builder builder, HandshakeExplainer explainer) {
        return builder.trace(explainer).keyLog(explainer);
    }

    /** {@code config} with {@code explainer} added beside its trace and key log (a --keylog file keeps working). */
    public static TlsConfig wire(TlsConfig config, HandshakeExplainer explainer) {
        HandshakeTrace before = config.trace();
        KeyLog keyLog = config.keyLog();
        HandshakeTrace trace = before == HandshakeTrace.NONE ? explainer : new HandshakeTrace() {
            @Override
            public void message(boolean outbound, String name, byte[] encoded, String details) {
                before.message(outbound, name, encoded, details);
                explainer.message(outbound, name, encoded, details);
            }

            @Override
            public void note(String text) {
                before.note(text);
                explainer.note(text);
            }
        };
        KeyLog log = keyLog == KeyLog.NONE ? explainer : (label, clientRandom, secret) -> {
            keyLog.log(label, clientRandom, secret);
            explainer.log(label, clientRandom, secret);
        };
        return config.toBuilder().trace(trace).keyLog(log).build();
    }

    /** What was explained so far, one entry per connection. */
    public synchronized List<Explanation> explanations() {
        return List.copyOf(explanations);
    }

    // ------------------------------------------------------------------ HandshakeTrace

    @Override
    public synchronized void message(boolean outbound, String name, byte[] encoded, String details) {
        int type = encoded.length == 0 ? -1 : encoded[0] & 0xFF;
        if (type == 1 && !(helloRetry && clientHello != null)) {
            startConnection(outbound);
        } else if (current == null) {
            startConnection(!outbound); // joined mid-way: guess the side from the direction
        }
        switch (type) {
            case 1 -> clientHello(outbound, encoded);
            case 2 -> serverHello(outbound, encoded);
            case 8 -> {
                enter(2, "ServerHello continued: EncryptedExtensions", "RFC 8446 §4.3.1");
                say("The rest of the server's answers (ALPN, server_name acknowledgement) travel encrypted under the"
                        + " server handshake traffic key. TLS 1.2 sent them in the clear in ServerHello.");
                show(outbound, encoded, "RFC 8446 §4.3.1");
            }
            case 13 -> {
                enter(2, "Optional: CertificateRequest", "RFC 8446 §4.3.2");
                say(them(outbound) + " asks for a client certificate (mutual TLS).");
                show(outbound, encoded, "RFC 8446 §4.3.2");
            }
            case 11 -> certificate(outbound, encoded);
            case 15 -> {
                enter(3, "Certificate check: CertificateVerify", "RFC 8446 §4.4.3");
                say(sender(outbound) + " signs the transcript hash (\"TLS 1.3, server CertificateVerify\" || hash of"
                        + " ClientHello..Certificate) with the certificate's private key: proof of owning the"
                        + " certificate. In TLS 1.2 RSA key exchange that proof was implicit: only the key's owner"
                        + " could decrypt the premaster secret.");
                show(outbound, encoded, "RFC 8446 §4.4.3");
            }
            case 20 -> {
                enter(5, "Finished: both sides prove they derived the same keys", "RFC 8446 §4.4.4");
                say(whose(outbound) + " Finished = HMAC(finished_key, transcript hash), finished_key from its"
                        + " handshake traffic secret. A tampered message or a wrong key makes it fail with decrypt_error.");
                show(outbound, encoded, "RFC 8446 §4.4.4");
            }
            case 4 -> {
                enter(7, "Resumption: NewSessionTicket", "RFC 8446 §4.6.1");
                say(sender(outbound) + " sends a session ticket after the handshake. A later connection may offer it"
                        + " in pre_shared_key (RFC 8446 §2.2) and skip the certificate; TLS 1.2 resumed by session id"
                        + " (RFC 5246 §7.3) or by ticket (RFC 5077).");
                show(outbound, encoded, "RFC 8446 §4.6.1");
            }
            case 24 -> {
                enter(6, "Encrypted application data: KeyUpdate", "RFC 8446 §4.6.3");
                say(sender(outbound) + " moves to its next application traffic secret (RFC 8446 §7.2).");
                show(outbound, encoded, "RFC 8446 §4.6.3");
            }
            case 12, 16 -> {
                enter(4, "Premaster secret: " + MessageFields.typeName(type), "RFC 5246 §7.4");
                show(outbound, encoded, "RFC 5246 §7.4");
            }
            default -> show(outbound, encoded, "RFC 8446 §4");
        }
    }

    @Override
    public synchronized void note(String text) {
        if (current == null) {
            return;
        }
        boolean failure = text.startsWith("sending fatal alert") || text.startsWith("failed:");
        if (certificateCheckOpen && text.contains(" verified for ")) {
            enter(3, "Certificate check against the trusted CAs", "RFC 8446 §4.4.2.2, RFC 5280 §6");
            say("PASSED: " + text + ".");
            certificateCheckOpen = false;
            return;
        }
        if (certificateCheckOpen && failure) {
            enter(3, "Certificate check against the trusted CAs", "RFC 8446 §4.4.2.2, RFC 5280 §6");
            say("FAILED: " + text);
            say("The handshake stops here: no key is used to talk to a server we could not authenticate.");
            certificateCheckOpen = false;
            return;
        }
        if (text.equals("peer sent close_notify")) {
            enter(6, "Close", "RFC 8446 §6.1");
            say("The peer sent close_notify: it sends no more data. The engine answers with close_notify unless it"
                    + " sent one already; then the traffic keys are discarded.");
            return;
        }
        say("engine: " + text);
    }

    // ------------------------------------------------------------------ KeyLog

    @Override
    public synchronized void log(String label, byte[] clientRandom, byte[] secret) {
        if (current == null) {
            return;
        }
        secrets.put(label, secret.clone());
        switch (label) {
            case "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET" -> {
                if (secrets.containsKey("CLIENT_HANDSHAKE_TRAFFIC_SECRET") && secrets.containsKey("SERVER_HANDSHAKE_TRAFFIC_SECRET")) {
                    handshakeKeys();
                }
            }
            case "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0", "EXPORTER_SECRET" -> {
                if (secrets.containsKey("CLIENT_TRAFFIC_SECRET_0") && secrets.containsKey("SERVER_TRAFFIC_SECRET_0")
                        && secrets.containsKey("EXPORTER_SECRET")) {
                    applicationKeys();
                }
            }
            case "CLIENT_RANDOM" -> {
                enter(5, "Master secret (TLS 1.2)", "RFC 5246 §8.1, RFC 7627");
                say("master_secret = PRF(premaster_secret, \"master secret\" or \"extended master secret\", ...)"
                        + " = " + HexDump.truncated(secret, 8));
                say("The key block (client/server write keys and IVs) is PRF(master_secret, \"key expansion\","
                        + " server_random + client_random) (RFC 5246 §6.3).");
            }
            default -> {
                if (label.startsWith("CLIENT_TRAFFIC_SECRET_") || label.startsWith("SERVER_TRAFFIC_SECRET_")) {
                    enter(6, "Encrypted application data: KeyUpdate", "RFC 8446 §7.2");
                    say("application_traffic_secret_N+1 = HKDF-Expand-Label(secret_N, \"traffic upd\", \"\", Hash.length)");
                    trafficSecret(label, secret);
                } else {
                    say(label + " = " + HexDump.truncated(secret, 8));
                }
            }
        }
    }

    // ------------------------------------------------------------------ application data and close

    /**
     * The program sent ({@code outbound}) or received {@code plaintext} as application data:
     * step 6 shows what travels on the wire for it.
     */
    public synchronized void applicationData(boolean outbound, byte[] plaintext) {
        applicationData(outbound, plaintext, plaintext.length);
    }

    /**
     * As {@link #applicationData(boolean, byte[])} for a stream: {@code start} is its first
     * bytes (for the first line), {@code totalLength} how many there were in all.
     */
    public synchronized void applicationData(boolean outbound, byte[] start, long totalLength) {
        byte[] plaintext = start;
        if (current == null) {
            return;
        }
        enter(6, "Encrypted application data", "RFC 8446 §5.2");
        if (!applicationDataExplained) {
            applicationDataExplained = true;
            say("Each TLSCiphertext record: opaque_type = application_data (23), legacy_record_version = 0x0303,"
                    + " length, then AEAD-Encrypt(write_key, nonce, additional_data = the 5-byte header,"
                    + " plaintext || real content type || zero padding). nonce = write_iv XOR the 64-bit record"
                    + " sequence number (RFC 8446 §5.3), so no nonce is ever sent or reused. TLS 1.2 AES-GCM sent an"
                    + " explicit 8-byte nonce in each record and named the content type in the clear.");
        }
        // RFC 8446 §5.1: at most 2^14 bytes of plaintext per record; every TLS 1.3 AEAD has a 16-byte tag.
        long records = Math.max(1, (totalLength + 16383) / 16384);
        int tag = 16;
        long wire = totalLength + records * (5 + 1 + tag);
        String first = firstLine(plaintext);
        say((outbound ? "we send " : "we received ") + totalLength + " bytes of application data"
                + (first.isEmpty() ? "" : " (\"" + first + "\")") + ": " + (outbound ? "" : "at least ") + records
                + (records == 1 ? " record, " : " records, ") + (outbound ? "" : "at least ") + wire + " bytes on the wire (5-byte header + 1 content-type byte + " + tag + "-byte tag each).");
    }

    /** We sent close_notify (RFC 8446 §6.1): the end of step 6. */
    public synchronized void closed() {
        if (current == null) {
            return;
        }
        enter(6, "Close", "RFC 8446 §6.1");
        say("we send close_notify, an alert encrypted like data, so an attacker cannot fake the end of the"
                + " stream (a truncation attack). Then the traffic keys are discarded.");
    }

    // ------------------------------------------------------------------ the steps

    private void startConnection(boolean weAreClient) {
        client = weAreClient;
        helloRetry = false;
        clientHello = null;
        suite = null;
        group = null;
        serverName = null;
        peerChain = List.of();
        certificateCheckOpen = false;
        secrets.clear();
        applicationDataExplained = false;
        current = new Explanation((weAreClient ? "client" : "server") + " side: connection "
                + (explanations.size() + 1));
        explanations.add(current);
        step = null;
        out.println("######## TLS handshake explained, " + current.heading() + " ########");
        out.println("(the six steps of the classic story; TLS 1.3 runs steps 4 and 5 before the certificate arrives)");
    }

    private void clientHello(boolean outbound, byte[] encoded) {
        ClientHello ch = decodeClientHello(encoded);
        boolean second = helloRetry && clientHello != null;
        clientHello = ch;
        if (second) {
            enter(1, "ClientHello again, after HelloRetryRequest", "RFC 8446 §4.1.2, §4.1.4");
            say((outbound ? "We send" : "We received") + " a second ClientHello: the same random and session id,"
                    + " now with a key share for the group the server asked for.");
        } else {
            enter(1, "ClientHello: what the client can do", "RFC 8446 §4.1.2");
            say(outbound ? "We send ClientHello, the first message, in the clear:"
                    : "We received ClientHello from the client, in the clear:");
        }
        if (ch != null) {
            List<String> versions = new ArrayList<>();
            Extension sv = ch.extension(ExtensionType.SUPPORTED_VERSIONS);
            if (sv != null) {
                try {
                    for (int v : Extensions.decodeSupportedVersionsClient(sv)) {
                        versions.add(MessageFields.versionName(v));
                    }
                } catch (TlsException e) {
                    versions.add("undecodable");
                }
            }
            say("  versions        : " + (versions.isEmpty() ? MessageFields.versionName(ch.legacyVersion()) + " (no supported_versions)"
                    : versions + " in supported_versions; legacy_version stays " + MessageFields.versionName(ch.legacyVersion())
                    + " so old middleboxes let it pass"));
            List<String> suites = new ArrayList<>();
            for (int s : ch.cipherSuites()) {
                suites.add(MessageFields.suiteName(s));
            }
            say("  cipher suites   : " + suites + " (TLS 1.3 suites name only the AEAD and hash; key exchange and"
                    + " signature are negotiated in extensions)");
            say("  client random   : " + HexDump.hex(ch.random()));
            say("  session id      : " + (ch.legacySessionId().length == 0 ? "empty"
                    : HexDump.hex(ch.legacySessionId()) + " (TLS 1.2 would resume a session by this id; TLS 1.3 only"
                    + " echoes it for middlebox compatibility, RFC 8446 D.4, and resumes with a PSK)"));
            serverName = serverName(ch);
            if (serverName != null) {
                say("  server name     : " + serverName + " (SNI, RFC 6066 §3: which site the client wants)");
            }
            Extension shares = ch.extension(ExtensionType.KEY_SHARE);
            if (shares != null) {
                try {
                    for (Extensions.KeyShareEntry e : Extensions.decodeKeyShareClient(shares)) {
                        say("  key share       : " + MessageFields.groupName(e.group()) + ", public key "
                                + HexDump.truncated(e.keyExchange(), 8));
                    }
                } catch (TlsException e) {
                    say("  key share       : undecodable: " + e.getMessage());
                }
            }
            List<String> names = new ArrayList<>();
            for (Extension e : ch.extensions()) {
                names.add(ExtensionType.name(e.type()));
            }
            say("  extensions      : " + names);
        }
        show(outbound, encoded, "RFC 8446 §4.1.2");
    }

    private void serverHello(boolean outbound, byte[] encoded) {
        ServerHello sh = decodeServerHello(encoded);
        if (sh != null && sh.isHelloRetryRequest()) {
            helloRetry = true;
            enter(2, "HelloRetryRequest: the server wants another key share", "RFC 8446 §4.1.4");
            Extension ks = sh.extension(ExtensionType.KEY_SHARE);
            String wanted = "?";
            try {
                wanted = ks == null ? "none (cookie only)" : MessageFields.groupName(Extensions.decodeKeyShareHelloRetry(ks));
            } catch (TlsException e) {
                wanted = "undecodable";
            }
            say((outbound ? "We send" : "We received") + " a HelloRetryRequest: a ServerHello whose random is the fixed"
                    + " SHA-256(\"HelloRetryRequest\"). None of the client's key shares was for a group the server"
                    + " accepts first; it asks for " + wanted + ". This costs one more round trip. The transcript"
                    + " replaces the first ClientHello by its hash (message_hash, RFC 8446 §4.4.1).");
            suite = CipherSuite.of(sh.cipherSuite());
            show(outbound, encoded, "RFC 8446 §4.1.4");
            return;
        }
        enter(2, "ServerHello: the server's choice", "RFC 8446 §4.1.3");
        say(outbound ? "We send ServerHello, the last message in the clear:" : "We received ServerHello, the last message in the clear:");
        if (sh != null) {
            suite = CipherSuite.of(sh.cipherSuite());
            String version = MessageFields.versionName(sh.legacyVersion());
            Extension sv = sh.extension(ExtensionType.SUPPORTED_VERSIONS);
            try {
                if (sv != null) {
                    version = MessageFields.versionName(Extensions.decodeSupportedVersionsServer(sv)) + " (in supported_versions)";
                }
            } catch (TlsException e) {
                version = "undecodable";
            }
            say("  version         : " + version);
            say("  cipher suite    : " + MessageFields.suiteName(sh.cipherSuite()));
            say("  server random   : " + HexDump.hex(sh.random()) + " (the last 8 bytes would be \"DOWNGRD\" if a"
                    + " TLS 1.3 server had to pick TLS 1.2, RFC 8446 §4.1.3)");
            say("  session id echo : " + (sh.legacySessionIdEcho().length == 0 ? "empty" : HexDump.hex(sh.legacySessionIdEcho())));
            Extension ks = sh.extension(ExtensionType.KEY_SHARE);
            Extensions.KeyShareEntry serverShare = null;
            try {
                serverShare = ks == null ? null : Extensions.decodeKeyShareServer(ks);
            } catch (TlsException e) {
                say("  key share       : undecodable: " + e.getMessage());
            }
            if (serverShare != null) {
                group = NamedGroup.of(serverShare.group());
                say("  key share       : " + MessageFields.groupName(serverShare.group()) + ", public key "
                        + HexDump.truncated(serverShare.keyExchange(), 8));
            }
            say("The certificate and the optional certificate request of the classic step 2 follow, but encrypted:"
                    + " in TLS 1.3 everything after ServerHello is.");
            show(outbound, encoded, "RFC 8446 §4.1.3");
            if (serverShare != null) {
                keyExchange(serverShare);
            }
            if (sh.extension(ExtensionType.PRE_SHARED_KEY) != null) {
                enter(7, "Resumption: the server accepted a pre-shared key", "RFC 8446 §2.2, §4.2.11");
                say("ServerHello carries pre_shared_key: this handshake resumes an earlier session from its ticket;"
                        + " no certificate follows.");
            }
        } else {
            show(outbound, encoded, "RFC 8446 §4.1.3");
        }
    }

    /** Step 4 in TLS 1.3: the ECDHE shares are in the hellos, so the premaster secret exists now. */
    private void keyExchange(Extensions.KeyShareEntry serverShare) {
        enter(4, "Premaster secret: ECDHE key exchange", "RFC 8446 §4.2.8, §7.4");
        byte[] clientPublic = null;
        if (clientHello != null) {
            Extension ks = clientHello.extension(ExtensionType.KEY_SHARE);
            try {
                for (Extensions.KeyShareEntry e : ks == null ? List.<Extensions.KeyShareEntry>of() : Extensions.decodeKeyShareClient(ks)) {
                    if (e.group() == serverShare.group()) {
                        clientPublic = e.keyExchange();
                    }
                }
            } catch (TlsException e) {
                // shown as unknown below
            }
        }
        String g = MessageFields.groupName(serverShare.group());
        say("Group " + g + ": each side made a fresh key pair for this connection only.");
        say("  client public   : " + (clientPublic == null ? "unknown" : HexDump.truncated(clientPublic, 8)) + " (in ClientHello)");
        say("  server public   : " + HexDump.truncated(serverShare.keyExchange(), 8) + " (in ServerHello)");
        say("Each side combines its own private key with the other's public key and gets the same shared secret"
                + (group == NamedGroup.X25519 ? " (X25519, RFC 7748 §6.1)" : " (ECDH, the x-coordinate, RFC 8446 §7.4.2)")
                + ". That shared secret is TLS 1.3's premaster secret: it never travels, and this explainer never sees it.");
        say("Classic story: the client makes a premaster secret and sends it encrypted with the server's RSA key"
                + " (RFC 5246 §7.4.7.1) after checking the certificate. TLS 1.3 agrees on it in the hellos, one"
                + " round trip, before the certificate even arrives.");
        say(RSA_REMOVED);
    }

    private void handshakeKeys() {
        enter(5, "Key schedule: handshake secrets and keys", "RFC 8446 §7.1, §7.3");
        say("Early Secret     = HKDF-Extract(salt 0, PSK or 0)");
        say("Handshake Secret = HKDF-Extract(Derive-Secret(Early Secret, \"derived\", \"\"), ECDHE shared secret)");
        say("c/s hs traffic   = Derive-Secret(Handshake Secret, \"c hs traffic\" / \"s hs traffic\", ClientHello..ServerHello)");
        say("write key / iv   = HKDF-Expand-Label(traffic secret, \"key\" / \"iv\", \"\", length)  (RFC 8446 §7.3)");
        trafficSecret("CLIENT_HANDSHAKE_TRAFFIC_SECRET", secrets.get("CLIENT_HANDSHAKE_TRAFFIC_SECRET"));
        trafficSecret("SERVER_HANDSHAKE_TRAFFIC_SECRET", secrets.get("SERVER_HANDSHAKE_TRAFFIC_SECRET"));
        say("Classic story: one master secret = PRF(premaster, \"master secret\", client_random + server_random)"
                + " (RFC 5246 §8.1), and one key block. TLS 1.3 uses HKDF and separate secrets per phase and"
                + " direction, each bound to the transcript so far.");
    }

    private void applicationKeys() {
        enter(5, "Key schedule: master secret and session keys", "RFC 8446 §7.1, §7.3");
        say("Master Secret    = HKDF-Extract(Derive-Secret(Handshake Secret, \"derived\", \"\"), 0)");
        say("c/s ap traffic   = Derive-Secret(Master Secret, \"c ap traffic\" / \"s ap traffic\", ClientHello..server Finished)");
        say("exporter secret  = Derive-Secret(Master Secret, \"exp master\", ClientHello..server Finished)");
        trafficSecret("CLIENT_TRAFFIC_SECRET_0", secrets.get("CLIENT_TRAFFIC_SECRET_0"));
        trafficSecret("SERVER_TRAFFIC_SECRET_0", secrets.get("SERVER_TRAFFIC_SECRET_0"));
        say("  EXPORTER_SECRET                 = " + HexDump.truncated(secrets.get("EXPORTER_SECRET"), 8));
        say("The Master Secret itself never leaves the key schedule; the key log (SSLKEYLOGFILE) gets these"
                + " traffic secrets, enough for Wireshark to decrypt this connection.");
    }

    private void trafficSecret(String label, byte[] secret) {
        say("  " + pad(label, 31) + " = " + HexDump.truncated(secret, 8));
        if (suite != null) {
            KeySchedule keys = new KeySchedule(suite);
            say("  " + pad("", 31) + "   key " + HexDump.truncated(keys.trafficKey(secret), 8)
                    + ", iv " + HexDump.truncated(keys.trafficIv(secret), 8) + " for " + suite.ianaName());
        }
    }

    private void certificate(boolean outbound, byte[] encoded) {
        enter(2, "ServerHello continued: Certificate", "RFC 8446 §4.4.2");
        boolean fromServer = client != null && (client ? !outbound : outbound);
        say(sender(outbound) + " sends " + (fromServer ? "its" : "the client's") + " certificate chain, leaf first,"
                + " encrypted under the handshake keys (TLS 1.2 sent it in the clear):");
        List<X509Certificate> chain = new ArrayList<>();
        try {
            CertificateMessage cm = CertificateMessage.decode(WireReader.of(encoded, 4, encoded.length - 4, "Certificate"));
            for (CertificateMessage.Entry e : cm.entries()) {
                X509Certificate c = MessageFields.parseCertificate(e.certData());
                if (c != null) {
                    chain.add(c);
                }
            }
        } catch (TlsException | RuntimeException e) {
            say("  undecodable: " + e.getMessage());
        }
        for (int i = 0; i < chain.size(); i++) {
            X509Certificate c = chain.get(i);
            say("  [" + i + "] subject " + c.getSubjectX500Principal().getName() + "; issuer "
                    + c.getIssuerX500Principal().getName());
            say("      valid " + c.getNotBefore().toInstant() + " .. " + c.getNotAfter().toInstant() + "; key "
                    + keyDescription(c) + "; names " + altNames(c));
        }
        if (chain.isEmpty()) {
            say("  (no certificate)");
        }
        show(outbound, encoded, "RFC 8446 §4.4.2");
        peerChain = chain;
        if (Boolean.TRUE.equals(client) && !outbound && !chain.isEmpty()) {
            certificateCheck(chain);
        } else if (Boolean.FALSE.equals(client) && outbound) {
            enter(3, "Certificate check (done by the client)", "RFC 8446 §4.4.2.2, RFC 5280 §6");
            say("The client now checks this chain against its trusted CAs and the name it asked for. We learn the"
                    + " verdict only as an alert (bad_certificate, unknown_ca, certificate_expired) or as its Finished.");
        }
    }

    private void certificateCheck(List<X509Certificate> chain) {
        enter(3, "Certificate check against the trusted CAs", "RFC 8446 §4.4.2.2, RFC 5280 §6");
        X509Certificate leaf = chain.get(0);
        X509Certificate top = chain.get(chain.size() - 1);
        say("What the client checks (RFC 5280 §6.1 path validation, RFC 6125 names):");
        StringBuilder path = new StringBuilder();
        for (X509Certificate c : chain) {
            path.append(c.getSubjectX500Principal().getName()).append(" <- signed by ");
        }
        path.append(top.getIssuerX500Principal().getName());
        say("  chain           : " + path);
        say("  anchor          : " + anchorFor(top));
        String host = serverName;
        if (host != null) {
            say("  name            : " + host + (HostnameVerifier.matches(leaf, host) ? " matches " : " does NOT match ")
                    + "the leaf's subjectAltName " + altNames(leaf));
        } else {
            say("  name            : no server_name was sent (an IP address): the address must be an iPAddress SAN " + altNames(leaf));
        }
        say("  also            : every signature in the path, validity dates now, key usage and extended key usage"
                + " (serverAuth), CA basic constraints");
        certificateCheckOpen = true;
    }

    private String anchorFor(X509Certificate top) {
        if (trust == null) {
            return "the verifier's trusted CAs (not known to this explainer)";
        }
        List<X500Principal> issuers = trust.acceptedIssuers();
        if (issuers.isEmpty()) {
            return "none: the verifier is INSECURE and accepts any chain";
        }
        X500Principal wanted = top.getIssuerX500Principal();
        for (X500Principal p : issuers) {
            if (p.equals(top.getSubjectX500Principal())) {
                return p.getName() + ", trusted itself (one of " + issuers.size() + " trusted certificates)";
            }
        }
        for (X500Principal p : issuers) {
            if (p.equals(wanted)) {
                return p.getName() + " (one of " + issuers.size() + " trusted CAs) issued the top of the chain";
            }
        }
        return "none of the " + issuers.size() + " trusted CAs is " + wanted.getName() + ", the issuer of the top certificate";
    }

    // ------------------------------------------------------------------ output

    private void enter(int number, String title, String rfc) {
        if (step != null && step.number() == number && step.title().equals(title)) {
            return;
        }
        step = current.begin(number, title, rfc);
        out.println();
        String label = number == 7 ? "Resumption" : "Step " + number;
        out.println("=== " + label + ": " + title + "   [" + rfc + "] ===");
    }

    private void say(String text) {
        if (step == null) {
            enter(0, "Connection", "RFC 8446 §2");
        }
        step.items().add(new Explanation.Line(text));
        out.println(text);
    }

    private void show(boolean outbound, byte[] encoded, String rfc) {
        if (step == null) {
            enter(0, "Connection", "RFC 8446 §2");
        }
        Field fields = MessageFields.of(encoded);
        String name = MessageFields.typeName(encoded.length == 0 ? -1 : encoded[0] & 0xFF);
        step.items().add(new Explanation.Message(outbound, name, encoded.clone(), fields, rfc));
        out.println((outbound ? ">>> sent " : "<<< received ") + name + ", " + encoded.length + " bytes:");
        out.print(HexDump.render(encoded, fields, "    "));
    }

    private String sender(boolean outbound) {
        if (client == null) {
            return outbound ? "This side" : "The peer";
        }
        return outbound ? "The " + (client ? "client" : "server") + " (us)" : "The " + (client ? "server" : "client");
    }

    private String whose(boolean outbound) {
        if (client == null) {
            return outbound ? "This side's" : "The peer's";
        }
        return "The " + ((client ? outbound : !outbound) ? "client" : "server") + "'s" + (outbound ? " (our)" : "");
    }

    private String them(boolean outbound) {
        return sender(outbound);
    }

    // ------------------------------------------------------------------ helpers

    private static ClientHello decodeClientHello(byte[] encoded) {
        try {
            return ClientHello.decode(WireReader.of(encoded, 4, encoded.length - 4, "ClientHello"));
        } catch (TlsException | RuntimeException e) {
            return null;
        }
    }

    private static ServerHello decodeServerHello(byte[] encoded) {
        try {
            return ServerHello.decode(WireReader.of(encoded, 4, encoded.length - 4, "ServerHello"));
        } catch (TlsException | RuntimeException e) {
            return null;
        }
    }

    private static String serverName(ClientHello ch) {
        Extension sni = ch.extension(ExtensionType.SERVER_NAME);
        try {
            return sni == null ? null : Extensions.decodeServerNameClient(sni);
        } catch (TlsException e) {
            return null;
        }
    }

    private static String keyDescription(X509Certificate c) {
        if (c.getPublicKey() instanceof ECPublicKey ec) {
            return "EC " + ec.getParams().getCurve().getField().getFieldSize() + "-bit";
        }
        if (c.getPublicKey() instanceof RSAPublicKey rsa) {
            return "RSA " + rsa.getModulus().bitLength() + "-bit";
        }
        return c.getPublicKey().getAlgorithm();
    }

    private static List<String> altNames(X509Certificate c) {
        List<String> names = new ArrayList<>();
        try {
            if (c.getSubjectAlternativeNames() != null) {
                for (List<?> n : c.getSubjectAlternativeNames()) {
                    int kind = (Integer) n.get(0);
                    names.add((kind == 2 ? "DNS:" : kind == 7 ? "IP:" : kind + ":") + n.get(1));
                }
            }
        } catch (Exception e) {
            names.add("unreadable");
        }
        return names;
    }

    private static String firstLine(byte[] plaintext) {
        int n = 0;
        while (n < plaintext.length && n < 60 && plaintext[n] != '\r' && plaintext[n] != '\n') {
            byte b = plaintext[n];
            if (b < 0x20 || b > 0x7e) {
                return "";
            }
            n++;
        }
        return new String(plaintext, 0, n, StandardCharsets.US_ASCII);
    }

    private static String pad(String s, int width) {
        return s.length() >= width ? s : s + " ".repeat(width - s.length());
    }

    @Override
    public String toString() {
        return "HandshakeExplainer";
    }

    /** The protocol versions this explainer tells the story of. */
    static List<ProtocolVersion> explainedVersions() {
        return Arrays.asList(ProtocolVersion.values());
    }
}
