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
import org.tollgate.tls.handshake.ServerKeyExchange;
import org.tollgate.tls.handshake.Tls12CertificateMessage;
import org.tollgate.tls.handshake.Tls12KeySchedule;
import org.tollgate.tls.wire.WireReader;

/**
 * Explains a live handshake as the six steps of the classic story of TLS, from what the
 * engine reports: every handshake message with its bytes ({@link HandshakeTrace}), every
 * secret ({@link KeyLog}), and what the program says about application data and close.
 * Each step shows the message's fields, its bytes as an annotated hex dump, the RFC section,
 * and where TLS 1.3 departs from the classic (TLS 1.2) story.
 *
 * <p>A TLS 1.2 handshake (RFC 5246) is told in the classic order: ServerHello, Certificate,
 * ServerKeyExchange (ECDHE) and ServerHelloDone in step 2, the certificate check after
 * ServerHelloDone, the premaster secret from ClientKeyExchange (RSA-encrypted, or the two
 * ECDHE public keys), then the master secret and the key block, which it derives for display
 * from the logged {@code CLIENT_RANDOM} master secret and the two randoms.
 *
 * <pre>{@code
 * HandshakeExplainer explainer = new HandshakeExplainer(System.err, verifier);
 * TlsConfig config = HandshakeExplainer.wire(TlsConfig.builder().verifier(verifier).build(), explainer);
 * }</pre>
 *
 * <p>It prints as the handshake happens, and keeps what it said ({@link #explanations()})
 * for {@link HtmlPage}. One explainer follows one connection at a time: a new ClientHello
 * starts a new explanation, so a server with concurrent handshakes gives each connection an
 * explainer of its own (tls-server prints each one as a block when its connection ends, numbered
 * with {@link #HandshakeExplainer(PrintStream, CertificateVerifier, long)}).
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
    /** The number in the heading of the first connection explained ("connection 1"). */
    private final long firstConnection;
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
    // Step 6 in the reader's order: a program reports the data it received only once it has
    // read it all, which is after the engine saw the peer's close_notify behind that data.
    // A server whose client closed right behind its request tells that close after its answer.
    private boolean dataSent;
    private boolean dataReceived;
    private boolean peerClosePending;
    // TLS 1.2 only (RFC 5246): the classic story, told in its own order.
    private boolean tls12;
    private boolean extendedMasterSecret;
    private byte[] clientRandom;
    private byte[] serverRandom;
    private byte[] serverEcdhPublic;
    private List<X509Certificate> serverChain = List.of();
    private String certificateVerdict;
    /** TLS 1.2: this handshake is abbreviated (RFC 5246 §7.3), resuming by session id or ticket. */
    private boolean tls12Resumed;

    /**
     * Explains to {@code out}, without knowing the trust anchors.
     * @param out where the text goes
     */
    public HandshakeExplainer(PrintStream out) {
        this(out, null);
    }

    /**
     * Explains to {@code out}; with {@code trust} (the client's verifier) step 3 names the
     * trusted CA that anchors the server's chain.
     * @param out where the text goes
     * @param trust the client's trust anchors, or null
     */
    public HandshakeExplainer(PrintStream out, CertificateVerifier trust) {
        this(out, trust, 1);
    }

    /**
     * As {@link #HandshakeExplainer(PrintStream, CertificateVerifier)}, numbering the connections
     * it explains from {@code firstConnection}: a server with one explainer per connection passes
     * the connection's own number, so its heading says which connection it is.
     * @param out where the text goes
     * @param trust the client's trust anchors, or null
     * @param firstConnection the number in the first connection's heading
     */
    public HandshakeExplainer(PrintStream out, CertificateVerifier trust, long firstConnection) {
        this.out = out;
        this.trust = trust;
        this.firstConnection = firstConnection;
    }

    /**
     * Sets {@code explainer} as the builder's trace and key log (replacing what was there).
     * @param builder the configuration being built
     * @param explainer the explainer
     * @return the builder
     */
    public static TlsConfig.Builder explain(TlsConfig.Builder builder, HandshakeExplainer explainer) {
        return builder.trace(explainer).keyLog(explainer);
    }

    /**
     * {@code config} with {@code explainer} added beside its trace and key log (a --keylog file keeps working).
     * @param config the configuration
     * @param explainer the explainer
     * @return the configuration with the explainer wired in
     */
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

    /** {@return what was explained so far, one entry per connection} */
    public synchronized List<Explanation> explanations() {
        tellPendingPeerClose();
        return List.copyOf(explanations);
    }

    /**
     * The connection has ended: tells what was held back for the reader's order (the peer's
     * close_notify, told after our answer to the data before it) and flushes the output.
     */
    public synchronized void finish() {
        tellPendingPeerClose();
        out.flush();
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
            case 12 -> serverKeyExchange(outbound, encoded);
            case 14 -> serverHelloDone(outbound, encoded);
            case 16 -> clientKeyExchange(outbound, encoded);
            case 20 -> {
                if (tls12) {
                    tls12Finished(outbound, encoded);
                } else {
                    enter(5, "Finished: both sides prove they derived the same keys", "RFC 8446 §4.4.4");
                    say(whose(outbound) + " Finished = HMAC(finished_key, transcript hash), finished_key from its"
                            + " handshake traffic secret. A tampered message or a wrong key makes it fail with decrypt_error.");
                    show(outbound, encoded, "RFC 8446 §4.4.4");
                }
            }
            case 13 -> {
                if (tls12) {
                    enter(2, "Optional: CertificateRequest", "RFC 5246 §7.4.4");
                    say(them(outbound) + " asks for a client certificate (mutual TLS), in the clear: the certificate"
                            + " types and signature algorithms it accepts, and the names of the CAs it trusts for clients."
                            + " The client answers after ServerHelloDone with its Certificate (maybe empty), and after its"
                            + " ClientKeyExchange with a CertificateVerify.");
                    show(outbound, encoded, "RFC 5246 §7.4.4");
                    return;
                }
                enter(2, "Optional: CertificateRequest", "RFC 8446 §4.3.2");
                say(them(outbound) + " asks for a client certificate (mutual TLS): signature_algorithms it accepts"
                        + " and certificate_authorities, the names of the CAs it trusts for clients. The client answers"
                        + " after the server's Finished with its Certificate (maybe empty) and CertificateVerify.");
                show(outbound, encoded, "RFC 8446 §4.3.2");
            }
            case 11 -> certificate(outbound, encoded);
            case 15 -> {
                if (client != null && (client == outbound)) {
                    clientCertificateVerify(outbound, encoded);
                    return;
                }
                enter(3, "Certificate check: CertificateVerify", "RFC 8446 §4.4.3");
                say(sender(outbound) + " signs the transcript hash (\"TLS 1.3, server CertificateVerify\" || hash of"
                        + " ClientHello..Certificate) with the certificate's private key: proof of owning the"
                        + " certificate. In TLS 1.2 RSA key exchange that proof was implicit: only the key's owner"
                        + " could decrypt the premaster secret.");
                show(outbound, encoded, "RFC 8446 §4.4.3");
            }
            case 4 -> {
                if (tls12) {
                    enter(7, "NewSessionTicket", "RFC 5077 §3.3");
                    say(sender(outbound) + " sends a session ticket, just before its ChangeCipherSpec: the session's"
                            + " master secret, suite and name, sealed (AES-256-GCM) with a key only the server knows. The"
                            + " client stores it and presents it next time; the server keeps no state (RFC 5077 §3.3, §4).");
                    show(outbound, encoded, "RFC 5077 §3.3");
                    return;
                }
                enter(7, "NewSessionTicket", "RFC 8446 §4.6.1");
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
            default -> show(outbound, encoded, "RFC 8446 §4");
        }
    }

    @Override
    public synchronized void note(String text) {
        if (current == null) {
            return;
        }
        boolean failure = text.startsWith("sending fatal alert") || text.startsWith("failed:");
        if (tls12 && certificateCheckOpen && text.contains(" verified for ")) {
            certificateVerdict = text; // told with step 3, after ServerHelloDone, where the classic story has it
            return;
        }
        if (tls12 && certificateCheckOpen && failure && certificateVerdict == null && (step == null || step.number() != 3)) {
            certificateCheck(serverChain); // the check failed before ServerHelloDone: tell it now
        }
        if (certificateCheckOpen && text.contains(" verified for ")) {
            enter(3, "Certificate check against the trusted CAs", "RFC 8446 §4.4.2.2, RFC 5280 §6");
            say("PASSED: " + text + ".");
            certificateCheckOpen = false;
            return;
        }
        if (certificateCheckOpen && failure && !(tls12 && certificateVerdict != null)) {
            enter(3, "Certificate check against the trusted CAs", "RFC 8446 §4.4.2.2, RFC 5280 §6");
            say("FAILED: " + text);
            say("The handshake stops here: no key is used to talk to a server we could not authenticate.");
            certificateCheckOpen = false;
            return;
        }
        if (tls12 && text.startsWith("peer sent ChangeCipherSpec")) {
            enter(5, "ChangeCipherSpec and Finished", "RFC 5246 §7.1, §7.4.9");
            say(sender(false) + " sent ChangeCipherSpec: a record of its own content type (20) holding the single"
                    + " byte 0x01. Every record it sends after it is encrypted with its write key from the key block."
                    + " TLS 1.3 has no such message (it may send a dummy one only to calm middleboxes, RFC 8446 D.4).");
        }
        if (text.equals("peer sent close_notify")) {
            if (!dataReceived && (dataSent || Boolean.FALSE.equals(client))) {
                peerClosePending = true; // told after the data it followed, once the program reports it
            } else {
                peerClose();
            }
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
            case "CLIENT_RANDOM" -> tls12MasterSecret(secret);
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
     * @param outbound true when we sent it
     * @param plaintext the application data
     */
    public synchronized void applicationData(boolean outbound, byte[] plaintext) {
        applicationData(outbound, plaintext, plaintext.length);
    }

    /**
     * As {@link #applicationData(boolean, byte[])} for a stream: {@code start} is its first
     * bytes (for the first line), {@code totalLength} how many there were in all.
     * @param outbound true when we sent it
     * @param start the first bytes of the stream
     * @param totalLength the stream's length in bytes
     */
    public synchronized void applicationData(boolean outbound, byte[] start, long totalLength) {
        byte[] plaintext = start;
        if (current == null) {
            return;
        }
        if (outbound) {
            dataSent = true;
        } else {
            dataReceived = true;
        }
        if (tls12) {
            tls12ApplicationData(outbound, plaintext, totalLength);
        } else {
            tls13ApplicationData(outbound, plaintext, totalLength);
        }
        if (!outbound && !Boolean.FALSE.equals(client)) {
            tellPendingPeerClose();
        }
    }

    private void tls13ApplicationData(boolean outbound, byte[] plaintext, long totalLength) {
        enterApplicationData("RFC 8446 §5.2");
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
        enter(6, "Close", tls12 ? "RFC 5246 §7.2.1" : "RFC 8446 §6.1");
        say("we send close_notify, an alert encrypted like data, so an attacker cannot fake the end of the"
                + " stream (a truncation attack). Then the traffic keys are discarded.");
        tellPendingPeerClose();
    }

    /** Step 6's data heading, once; after an interlude (a NewSessionTicket, a KeyUpdate) it goes on as "continued". */
    private void enterApplicationData(String rfc) {
        String title = "Encrypted application data";
        if (applicationDataExplained && !(step != null && step.number() == 6 && step.title().startsWith(title))) {
            title += ", continued";
        }
        enter(6, title, rfc);
    }

    private void tellPendingPeerClose() {
        if (peerClosePending) {
            peerClosePending = false;
            peerClose();
        }
    }

    private void peerClose() {
        enter(6, "Close", tls12 ? "RFC 5246 §7.2.1" : "RFC 8446 §6.1");
        say(tls12
                ? "The peer sent close_notify: it sends no more data. The engine answers with close_notify unless it"
                        + " sent one already; then the traffic keys are discarded."
                : "The peer sent close_notify: it sends no more data, but only its direction is closed (half-close):"
                        + " we may still send what we have to say, then our own close_notify (unless we sent one"
                        + " already); then the traffic keys are discarded.");
    }

    // ------------------------------------------------------------------ the steps

    private void startConnection(boolean weAreClient) {
        tellPendingPeerClose(); // still the previous connection's
        dataSent = false;
        dataReceived = false;
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
        tls12 = false;
        extendedMasterSecret = false;
        clientRandom = null;
        serverRandom = null;
        serverEcdhPublic = null;
        serverChain = List.of();
        certificateVerdict = null;
        tls12Resumed = false;
        current = new Explanation((weAreClient ? "client" : "server") + " side: connection "
                + (firstConnection + explanations.size()));
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
            enter(1, "ClientHello: what the client can do", tls12Hello(ch) ? "RFC 5246 §7.4.1.2" : "RFC 8446 §4.1.2");
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
            if (versions.isEmpty()) {
                say("  cipher suites   : " + suites + " (a TLS 1.2 suite names all four choices: key exchange,"
                        + " authentication, cipher and PRF hash, e.g. ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)");
            } else {
                say("  cipher suites   : " + suites + " (TLS 1.3 suites name only the AEAD and hash; key exchange and"
                        + " signature are negotiated in extensions)");
            }
            say("  client random   : " + HexDump.hex(ch.random()));
            clientRandom = ch.random();
            extendedMasterSecret = ch.extension(ExtensionType.EXTENDED_MASTER_SECRET) != null;
            say("  session id      : " + (ch.legacySessionId().length == 0 ? (versions.isEmpty()
                    ? "empty: a new session (to resume a TLS 1.2 session the client would send its id, RFC 5246 §7.3)" : "empty")
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
        show(outbound, encoded, tls12Hello(ch) ? "RFC 5246 §7.4.1.2" : "RFC 8446 §4.1.2");
        if (ch != null) {
            resumptionOffer(ch);
        }
    }

    /** The resumption step when a ClientHello offers a TLS 1.3 ticket (PSK) or a TLS 1.2 ticket. */
    private void resumptionOffer(ClientHello ch) {
        Extension psk = ch.extension(ExtensionType.PRE_SHARED_KEY);
        Extension ticket = ch.extension(ExtensionType.SESSION_TICKET);
        if (psk != null) {
            enter(7, "the client offers a ticket as a pre-shared key", "RFC 8446 §4.2.11, §4.2.9");
            try {
                WireReader r = psk.reader();
                WireReader ids = r.sub16("identities");
                while (ids.hasRemaining()) {
                    byte[] identity = ids.vector16();
                    long age = ids.u32();
                    say("  ticket          : " + HexDump.truncated(identity, 8)
                            + " (the server's sealed session state; the client cannot read it)");
                    say("  obfuscated age  : " + age + " = (ms since the ticket arrived + ticket_age_add) mod 2^32,"
                            + " so an observer cannot link the two connections by the age (RFC 8446 §4.2.11.1)");
                }
                WireReader bs = r.sub16("binders");
                while (bs.hasRemaining()) {
                    say("  binder          : " + HexDump.truncated(bs.vector8(), 8));
                }
            } catch (TlsException e) {
                say("  undecodable: " + e.getMessage());
            }
            say("The binder is HMAC(finished_key from the PSK's \"res binder\" key, Transcript-Hash(ClientHello up to the"
                    + " binders)): proof that the client holds the ticket's PSK, tied to this very ClientHello (RFC 8446"
                    + " §4.2.11.2). psk_key_exchange_modes says psk_dhe_ke: resume, but still run a fresh ECDHE exchange,"
                    + " so the resumed connection keeps forward secrecy. pre_shared_key is always the last extension.");
            say("Classic story: a TLS 1.2 client resumed by sending the session id (RFC 5246 §7.3) and the server"
                    + " kept the master secret; a TLS 1.3 server keeps nothing: the state travels sealed in the ticket.");
        } else if (ticket != null && ticket.data().length > 0) {
            enter(7, "the client offers a session ticket", "RFC 5077 §3.4");
            say("  ticket          : " + HexDump.truncated(ticket.data(), 8)
                    + " (the session state the server sealed with its ticket key: master secret, suite, name)");
            say("The client also sends a fresh session id: if the server can open the ticket it echoes that id and"
                    + " both sides skip straight to ChangeCipherSpec and Finished with the ticket's master secret.");
        }
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
        if (sh != null && sh.extension(ExtensionType.SUPPORTED_VERSIONS) == null && sh.legacyVersion() == 0x0303) {
            tls12ServerHello(outbound, encoded, sh);
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
                enter(7, "the server accepted a pre-shared key", "RFC 8446 §2.2, §4.2.11");
                say("ServerHello carries pre_shared_key: this handshake resumes an earlier session from its ticket."
                        + " No Certificate and no CertificateVerify follow (steps 2 and 3 shrink to nothing): the server"
                        + " proves itself by knowing the PSK inside the ticket, which only the holder of its ticket key"
                        + " could open. The key schedule starts from Early Secret = HKDF-Extract(0, PSK) instead of"
                        + " zeros, and the ECDHE shared secret above still goes in (psk_dhe_ke).");
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

    // ------------------------------------------------------------------ TLS 1.2 (RFC 5246)

    /** A ClientHello that offers TLS 1.2 only: no supported_versions (RFC 8446 §4.2.1). */
    private static boolean tls12Hello(ClientHello ch) {
        return ch != null && ch.extension(ExtensionType.SUPPORTED_VERSIONS) == null;
    }

    private boolean rsaKeyExchange() {
        return suite != null && suite.keyExchange() == CipherSuite.KeyExchange.RSA;
    }

    private void tls12ServerHello(boolean outbound, byte[] encoded, ServerHello sh) {
        tls12 = true;
        enter(2, "ServerHello: the server's choice", "RFC 5246 §7.4.1.3");
        say(outbound ? "We send ServerHello, in the clear, like the whole TLS 1.2 handshake up to Finished:"
                : "We received ServerHello, in the clear, like the whole TLS 1.2 handshake up to Finished:");
        suite = CipherSuite.of(sh.cipherSuite());
        serverRandom = sh.random();
        extendedMasterSecret = extendedMasterSecret && sh.extension(ExtensionType.EXTENDED_MASTER_SECRET) != null;
        say("  version         : " + MessageFields.versionName(sh.legacyVersion()) + " in server_version: no"
                + " supported_versions, so this field is the real choice (TLS 1.3 freezes it and uses supported_versions)");
        say("  cipher suite    : " + MessageFields.suiteName(sh.cipherSuite()));
        if (suite != null && !suite.isTls13()) {
            say("                    key exchange " + suite.keyExchange() + ", certificate key " + suite.authentication()
                    + ", record cipher " + suite.cipherTransformation() + " with a " + suite.keyLength() + "-byte key,"
                    + " PRF hash " + suite.hashName());
        }
        byte[] r = sh.random();
        boolean downgrade = r.length == 32 && new String(r, 24, 7, StandardCharsets.ISO_8859_1).equals("DOWNGRD");
        say("  server random   : " + HexDump.hex(r) + (downgrade
                ? " (ends in \"DOWNGRD\": a TLS 1.3 server chose TLS 1.2, RFC 8446 §4.1.3)"
                : " (a server that also speaks TLS 1.3 would end it with \"DOWNGRD\" here, RFC 8446 §4.1.3)"));
        say("  session id      : " + (sh.legacySessionIdEcho().length == 0 ? "empty: the server will not resume this session by id"
                : HexDump.hex(sh.legacySessionIdEcho()) + " (a later ClientHello may offer it to resume, RFC 5246 §7.3)"));
        say("  extended master : " + (extendedMasterSecret
                ? "yes, both sides sent extended_master_secret: the master secret will cover the whole handshake (RFC 7627)"
                : "NO: the master secret covers only the randoms (triple handshake attack possible, RFC 7627 §1)"));
        List<String> names = new ArrayList<>();
        for (Extension e : sh.extensions()) {
            names.add(ExtensionType.name(e.type()));
        }
        say("  extensions      : " + names);
        tls12Resumed = sh.legacySessionIdEcho().length > 0 && clientHello != null
                && Arrays.equals(sh.legacySessionIdEcho(), clientHello.legacySessionId());
        if (!tls12Resumed) {
            say("The rest of step 2 follows in the clear: Certificate, "
                    + (rsaKeyExchange() ? "" : "ServerKeyExchange (ECDHE), ") + "ServerHelloDone.");
        }
        show(outbound, encoded, "RFC 5246 §7.4.1.3");
        if (tls12Resumed) {
            boolean byTicket = clientHello.extension(ExtensionType.SESSION_TICKET) != null
                    && clientHello.extension(ExtensionType.SESSION_TICKET).data().length > 0;
            enter(7, "the abbreviated handshake", byTicket ? "RFC 5077 §3.1, RFC 5246 §7.3" : "RFC 5246 §7.3");
            say("The server echoes the session id the client offered: it resumes the earlier session "
                    + (byTicket ? "sealed in the client's ticket (RFC 5077)" : "kept in its session cache (RFC 5246 §7.3)")
                    + ". No Certificate, no key exchange, no premaster secret: steps 2 to 4 are skipped, and the"
                    + " server sends ChangeCipherSpec and Finished at once. This is the seed's \"resume with the session id"
                    + " and skip the full handshake\": one round trip and no public-key operation.");
        }
    }

    private void serverKeyExchange(boolean outbound, byte[] encoded) {
        enter(2, "ServerHello continued: ServerKeyExchange (ECDHE)", "RFC 8422 §5.4, RFC 5246 §7.4.3");
        try {
            ServerKeyExchange ske = ServerKeyExchange.decode(WireReader.of(encoded, 4, encoded.length - 4, "ServerKeyExchange"));
            serverEcdhPublic = ske.publicKey();
            group = NamedGroup.of(ske.namedGroup());
            say(sender(outbound) + " sends a fresh ephemeral public key for this connection only, and signs it:");
            say("  curve           : " + MessageFields.groupName(ske.namedGroup()) + " (named_curve)");
            say("  server public   : " + HexDump.truncated(ske.publicKey(), 8));
            say("  signed with     : " + MessageFields.schemeName(ske.signatureScheme()) + ", " + ske.signature().length
                    + "-byte signature by the certificate's private key");
            say("  signed content  : client_random + server_random + ServerECDHParams(curve, public key), so the"
                    + " key cannot be replayed into another handshake");
            say("The signature is what ties this ephemeral key to the certificate. TLS 1.3 instead signs the whole"
                    + " transcript in CertificateVerify (RFC 8446 §4.4.3), which also covers the negotiated suite.");
        } catch (TlsException | RuntimeException e) {
            say("  undecodable: " + e.getMessage());
        }
        show(outbound, encoded, "RFC 8422 §5.4");
    }

    private void serverHelloDone(boolean outbound, byte[] encoded) {
        enter(2, "ServerHello continued: ServerHelloDone", "RFC 5246 §7.4.5");
        say(sender(outbound) + " ends its flight with an empty ServerHelloDone: now it is the client's turn.");
        show(outbound, encoded, "RFC 5246 §7.4.5");
        if (Boolean.TRUE.equals(client) && !serverChain.isEmpty()) {
            certificateCheck(serverChain);
            if (certificateVerdict != null) {
                say("PASSED: " + certificateVerdict + ".");
                certificateCheckOpen = false;
            }
        } else if (Boolean.FALSE.equals(client)) {
            enter(3, "Certificate check (done by the client)", "RFC 5246 §7.4.2, RFC 5280 §6");
            say("The client now checks our chain against its trusted CAs and the name it asked for. We learn the"
                    + " verdict only as an alert (bad_certificate, unknown_ca, certificate_expired) or as its Finished.");
        }
    }

    private void clientKeyExchange(boolean outbound, byte[] encoded) {
        byte[] keys = null;
        try {
            keys = org.tollgate.tls.handshake.ClientKeyExchange.decode(
                    WireReader.of(encoded, 4, encoded.length - 4, "ClientKeyExchange"), rsaKeyExchange()).exchangeKeys();
        } catch (TlsException | RuntimeException e) {
            // shown undecoded
        }
        if (rsaKeyExchange()) {
            enter(4, "Premaster secret: RSA key exchange", "RFC 5246 §7.4.7.1");
            String rsaBits = serverChain.isEmpty() ? "" : " (" + keyDescription(serverChain.get(0)) + ")";
            say("The client makes a 48-byte premaster secret: the first two bytes are the client version it offered"
                    + " in ClientHello (" + MessageFields.versionName(clientHello == null ? 0x0303 : clientHello.legacyVersion())
                    + "), so a version rollback is caught; the other 46 are random.");
            say("It encrypts the premaster secret with the server's RSA public key from the certificate" + rsaBits
                    + " (RSAES-PKCS1-v1_5, RFC 8017 §7.2) and sends it in ClientKeyExchange:");
            if (keys != null) {
                say("  encrypted premaster secret, " + keys.length + " bytes: " + HexDump.hex(keys));
            }
            if (Boolean.FALSE.equals(client)) {
                say("We (the server) decrypt it with the certificate's private key.");
            }
            say("Only the holder of the certificate's private key can decrypt it, so the server proves it owns the"
                    + " certificate implicitly: only it can compute the Finished that follows. A server that finds bad"
                    + " padding or a wrong version goes on with a random premaster secret instead, so it never tells"
                    + " (RFC 5246 §7.4.7.1). The premaster secret itself never appears here: the key log holds the"
                    + " master secret.");
            say("No forward secrecy: the premaster secret crosses the network, encrypted to the server's long-term key."
                    + " Whoever records this connection and one day gets that private key decrypts the premaster"
                    + " secret, derives the master secret and reads every record, years later.");
            say(RSA_REMOVED);
        } else {
            enter(4, "Premaster secret: ECDHE key exchange", "RFC 8422 §5.7, RFC 5246 §7.4.7");
            String g = group == null ? "the server's curve" : MessageFields.groupName(group.code());
            say("The client answers the server's ephemeral key with its own on " + g + ", in ClientKeyExchange:");
            say("  server public   : " + (serverEcdhPublic == null ? "unknown" : HexDump.truncated(serverEcdhPublic, 8))
                    + " (in ServerKeyExchange)");
            say("  client public   : " + (keys == null ? "undecodable" : HexDump.truncated(keys, 8)) + " (in ClientKeyExchange)");
            say("Each side combines its own private key with the other's public key and gets the same shared secret"
                    + (group == NamedGroup.X25519 ? " (X25519, RFC 7748 §6.1)" : " (ECDH, the x-coordinate, RFC 8422 §5.10)")
                    + ": that is the premaster secret. It never travels, and this explainer never sees it.");
            say("Forward secrecy: both private keys are thrown away after the handshake, so a later theft of the"
                    + " certificate's key cannot decrypt this recorded connection. TLS 1.3 sends the same ECDHE shares"
                    + " already in ClientHello and ServerHello, saving a round trip, and allows nothing else.");
        }
        show(outbound, encoded, rsaKeyExchange() ? "RFC 5246 §7.4.7.1" : "RFC 8422 §5.7");
    }

    private void tls12MasterSecret(byte[] masterSecret) {
        enter(5, "Master secret and session keys", extendedMasterSecret ? "RFC 7627 §4, RFC 5246 §6.3" : "RFC 5246 §8.1, §6.3");
        String prf = "PRF";
        if (suite != null) {
            say("PRF = P_" + suite.hmacName().replace("Hmac", "") + ": HMAC chained to any length (RFC 5246 §5)");
        }
        if (tls12Resumed) {
            say("master_secret = the resumed session's master secret, unchanged (RFC 5246 §7.3): there is no premaster"
                    + " secret this time. Only the key block is new, because both randoms are.");
        } else if (extendedMasterSecret) {
            say("master_secret = " + prf + "(premaster_secret, \"extended master secret\", session_hash)[0..47]");
            say("  session_hash  = Hash(ClientHello .. ClientKeyExchange): the master secret is bound to this whole"
                    + " handshake (RFC 7627 §4), not only to the randoms as in RFC 5246 §8.1 (\"master secret\","
                    + " client_random + server_random).");
        } else {
            say("master_secret = " + prf + "(premaster_secret, \"master secret\", client_random + server_random)[0..47]"
                    + " (RFC 5246 §8.1; without extended_master_secret, RFC 7627)");
        }
        say("  master secret   = " + HexDump.truncated(masterSecret, 8));
        say("The key log line is CLIENT_RANDOM <client_random> <master_secret>: enough for Wireshark to decrypt"
                + " this connection.");
        say("key_block = PRF(master_secret, \"key expansion\", server_random + client_random), cut into (RFC 5246 §6.3):");
        if (suite != null && !suite.isTls13() && clientRandom != null && serverRandom != null) {
            Tls12KeySchedule.KeyBlock kb = new Tls12KeySchedule(suite).keyBlock(masterSecret, clientRandom, serverRandom);
            say("  client_write_key = " + HexDump.truncated(kb.clientWriteKey(), 8));
            say("  server_write_key = " + HexDump.truncated(kb.serverWriteKey(), 8));
            say("  client_write_IV  = " + HexDump.truncated(kb.clientWriteIv(), 8));
            say("  server_write_IV  = " + HexDump.truncated(kb.serverWriteIv(), 8));
            say("(" + suite.ianaName() + " is an AEAD suite: no MAC keys; "
                    + (suite.isAesGcm() ? "the 4-byte IV is the implicit salt of the GCM nonce, RFC 5288 §3)"
                    : "the 12-byte IV is XORed with the sequence number, RFC 7905 §2)"));
        }
        say("TLS 1.3 replaces this one PRF master secret and key block with HKDF and separate secrets per phase and"
                + " direction, each bound to the transcript (RFC 8446 §7.1).");
    }

    private void tls12Finished(boolean outbound, byte[] encoded) {
        enter(5, "ChangeCipherSpec and Finished", "RFC 5246 §7.1, §7.4.9");
        boolean fromClient = client != null && (client == outbound);
        if (outbound) {
            say("Just before this Finished we sent ChangeCipherSpec: a record of its own content type (20) holding the"
                    + " single byte 0x01. Every record we send after it is encrypted with the "
                    + (fromClient ? "client" : "server") + " write key.");
        }
        say(whose(outbound) + " Finished, the first encrypted message: verify_data = PRF(master_secret, \""
                + (fromClient ? "client" : "server") + " finished\", Hash(all handshake messages so far))[0..11]."
                + " It proves both sides have the same keys and saw the same handshake; a wrong key fails with"
                + " bad_record_mac, a tampered handshake with decrypt_error.");
        show(outbound, encoded, "RFC 5246 §7.4.9");
    }

    private void tls12ApplicationData(boolean outbound, byte[] plaintext, long totalLength) {
        enterApplicationData("RFC 5246 §6.2.3.3");
        boolean gcm = suite == null || suite.isAesGcm();
        int explicitNonce = gcm ? 8 : 0;
        if (!applicationDataExplained) {
            applicationDataExplained = true;
            say("Each TLSCiphertext record: type = application_data (23) in the clear, version 0x0303, length, then"
                    + (gcm ? " an 8-byte explicit nonce and AES-GCM(write_key, nonce = write_IV (4 bytes) + explicit"
                            + " nonce, RFC 5288 §3"
                            : " ChaCha20-Poly1305(write_key, nonce = write_IV XOR sequence number, RFC 7905 §2")
                    + ", additional_data = seq_num + type + version + length, plaintext) with a 16-byte tag."
                    + " TLS 1.3 hides the real content type inside the encryption and never sends a nonce.");
        }
        long records = Math.max(1, (totalLength + 16383) / 16384);
        long wire = totalLength + records * (5 + explicitNonce + 16);
        String first = firstLine(plaintext);
        say((outbound ? "we send " : "we received ") + totalLength + " bytes of application data"
                + (first.isEmpty() ? "" : " (\"" + first + "\")") + ": " + (outbound ? "" : "at least ") + records
                + (records == 1 ? " record, " : " records, ") + (outbound ? "" : "at least ") + wire
                + " bytes on the wire (5-byte header" + (gcm ? " + 8-byte explicit nonce" : "") + " + 16-byte tag each).");
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
        boolean fromServer = client != null && (client ? !outbound : outbound);
        String rfc = !fromServer && client != null ? (tls12 ? "RFC 5246 §7.4.6" : "RFC 8446 §4.4.2")
                : tls12 ? "RFC 5246 §7.4.2" : "RFC 8446 §4.4.2";
        enter(2, fromServer || client == null ? "ServerHello continued: Certificate"
                : "Optional: the client's certificate (mutual TLS)", rfc);
        say(sender(outbound) + " sends " + (fromServer ? "its" : "the client's") + " certificate chain, leaf first,"
                + (tls12 ? " in the clear (TLS 1.3 encrypts it under the handshake keys):"
                        : " encrypted under the handshake keys (TLS 1.2 sent it in the clear):"));
        List<X509Certificate> chain = new ArrayList<>();
        try {
            List<byte[]> ders = new ArrayList<>();
            if (tls12) {
                ders.addAll(Tls12CertificateMessage.decode(WireReader.of(encoded, 4, encoded.length - 4, "Certificate")).certificates());
            } else {
                CertificateMessage cm = CertificateMessage.decode(WireReader.of(encoded, 4, encoded.length - 4, "Certificate"));
                for (CertificateMessage.Entry e : cm.entries()) {
                    ders.add(e.certData());
                }
            }
            for (byte[] der : ders) {
                X509Certificate c = MessageFields.parseCertificate(der);
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
            say(fromServer || client == null ? "  (no certificate)" : "  (no certificate: the client has none that fits the"
                    + " request; the server decides whether to go on without a client identity)");
        } else if (!fromServer && client != null) {
            say("  The server checks this chain against the CAs it trusts for clients (the clientAuth extended key"
                    + " usage if present; no host name).");
        }
        show(outbound, encoded, rfc);
        peerChain = chain;
        if (fromServer) {
            serverChain = chain;
        }
        if (tls12) {
            // RFC 5246 §7.4: the client checks the chain while the server's flight goes on; the classic story
            // tells the check as step 3, after ServerHelloDone.
            certificateCheckOpen = Boolean.TRUE.equals(client) && !outbound && !chain.isEmpty();
            return;
        }
        if (Boolean.TRUE.equals(client) && !outbound && !chain.isEmpty()) {
            certificateCheck(chain);
        } else if (Boolean.FALSE.equals(client) && outbound) {
            enter(3, "Certificate check (done by the client)", "RFC 8446 §4.4.2.2, RFC 5280 §6");
            say("The client now checks this chain against its trusted CAs and the name it asked for. We learn the"
                    + " verdict only as an alert (bad_certificate, unknown_ca, certificate_expired) or as its Finished.");
        }
    }

    private void certificateCheck(List<X509Certificate> chain) {
        enter(3, "Certificate check against the trusted CAs", tls12 ? "RFC 5246 §7.4.2, RFC 5280 §6" : "RFC 8446 §4.4.2.2, RFC 5280 §6");
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
        Field fields = MessageFields.of(encoded, tls12, rsaKeyExchange());
        String name = MessageFields.typeName(encoded.length == 0 ? -1 : encoded[0] & 0xFF);
        step.items().add(new Explanation.Message(outbound, name, encoded.clone(), fields, rfc));
        out.println((outbound ? ">>> sent " : "<<< received ") + name + ", " + encoded.length + " bytes:");
        out.print(HexDump.render(encoded, fields, "    "));
    }

    /** The client proves it holds its certificate's key (RFC 8446 §4.4.3, RFC 5246 §7.4.8). */
    private void clientCertificateVerify(boolean outbound, byte[] encoded) {
        String rfc = tls12 ? "RFC 5246 §7.4.8" : "RFC 8446 §4.4.3";
        enter(2, "Optional: the client's certificate (mutual TLS)", rfc);
        say(sender(outbound) + " signs with its certificate's private key " + (tls12
                ? "all handshake messages so far (ClientHello .. ClientKeyExchange), not their hash"
                : "\"TLS 1.3, client CertificateVerify\" || the transcript hash (ClientHello .. client Certificate)")
                + ": proof that it owns the certificate. A bad signature is decrypt_error.");
        show(outbound, encoded, rfc);
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
