package org.tollgate.tls.cert;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertPathValidatorException.BasicReason;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXReason;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import javax.security.auth.x500.X500Principal;
import org.tollgate.tls.Alert;
import org.tollgate.tls.TlsException;

/**
 * Decides whether to trust the certificate chain a peer sent: step 3 of the handshake,
 * where the client checks the server's chain against the CAs it trusts and refuses, with
 * a clear reason, when it fails.
 *
 * <p>The chain is checked with the JDK's PKIX validator (RFC 5280 §6: signatures, validity
 * dates, CA constraints, key usage of the CAs, name constraints) at the time of the
 * injected {@link Clock}, without revocation checking. Then the leaf's extended key usage
 * is checked against the role it plays, and, for a server, its names against the host the
 * client asked for ({@link HostnameVerifier}).
 *
 * <p>Every failure is a {@link TlsException} carrying the alert to send (RFC 8446 §6.2):
 * {@code unknown_ca}, {@code certificate_expired}, {@code bad_certificate} or
 * {@code unsupported_certificate}, and a message saying what is wrong and with which
 * certificate.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class CertificateVerifier {

    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final String ANY_EXTENDED_KEY_USAGE = "2.5.29.37.0";
    private static final Map<String, String> KEY_PURPOSES = Map.of(
            SERVER_AUTH, "serverAuth",
            CLIENT_AUTH, "clientAuth",
            "1.3.6.1.5.5.7.3.3", "codeSigning",
            "1.3.6.1.5.5.7.3.4", "emailProtection",
            "1.3.6.1.5.5.7.3.8", "timeStamping",
            "1.3.6.1.5.5.7.3.9", "OCSPSigning");
    /** Longer chains than this are not followed; real ones have 2 to 4 certificates. */
    private static final int MAX_PATH_LENGTH = 10;

    private final List<X509Certificate> anchorCertificates; // empty when insecure
    private final Set<TrustAnchor> trustAnchors;
    private final boolean insecure;
    private final Clock clock;

    private CertificateVerifier(List<X509Certificate> anchorCertificates, boolean insecure, Clock clock) {
        this.anchorCertificates = anchorCertificates;
        this.insecure = insecure;
        this.clock = clock;
        Set<TrustAnchor> anchors = new LinkedHashSet<>();
        for (X509Certificate anchor : anchorCertificates) {
            anchors.add(new TrustAnchor(anchor, null));
        }
        this.trustAnchors = Set.copyOf(anchors);
    }

    /**
     * Trusts exactly {@code anchors} (root or intermediate CAs, or self-signed leaves).
     * @param anchors the trusted certificates
     * @return the verifier
     */
    public static CertificateVerifier trusting(Collection<X509Certificate> anchors) {
        List<X509Certificate> copy = List.copyOf(new LinkedHashSet<>(anchors));
        if (copy.isEmpty()) {
            throw new IllegalArgumentException("a certificate verifier needs at least one trusted certificate");
        }
        return new CertificateVerifier(copy, false, Clock.systemUTC());
    }

    /**
     * Trusts the certificates in a PEM file, like {@code openssl s_client -CAfile}.
     * @param caFile a PEM file of CA certificates
     * @return the verifier
     * @throws IOException when the file cannot be read or holds no certificate
     */
    public static CertificateVerifier fromPemFile(Path caFile) throws IOException {
        return trusting(PemFiles.readCertificates(caFile));
    }

    /**
     * Trusts what the JDK trusts by default: its {@code cacerts} store (or the store named
     * by the {@code javax.net.ssl.trustStore} system property).
     * @return the verifier
     */
    public static CertificateVerifier systemDefault() {
        try {
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init((KeyStore) null);
            for (TrustManager manager : factory.getTrustManagers()) {
                if (manager instanceof X509TrustManager x509) {
                    return trusting(List.of(x509.getAcceptedIssuers()));
                }
            }
            throw new IllegalStateException("the JDK has no X.509 trust manager");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot load the JDK's default trust store: " + e.getMessage(), e);
        }
    }

    /**
     * <b>INSECURE: trusts any certificate from anyone.</b> Any chain is accepted whatever
     * its issuer, dates, key usage or names, so an attacker on the path can impersonate
     * any server. This exists only for {@code --insecure} when testing against a server
     * whose certificate you cannot get; never use it for real traffic. Only an empty
     * chain is still refused, since the handshake needs the leaf's public key.
     * @return the insecure verifier
     */
    public static CertificateVerifier insecure() {
        return new CertificateVerifier(List.of(), true, Clock.systemUTC());
    }

    /**
     * The same trust, validating at {@code clock}'s time instead of the system clock's.
     * @param clock the clock to validate at
     * @return the verifier
     */
    public CertificateVerifier withClock(Clock clock) {
        return new CertificateVerifier(anchorCertificates, insecure, Objects.requireNonNull(clock, "clock"));
    }

    /** {@return the subjects of the trusted certificates: the certificate_authorities a CertificateRequest may list} */
    public List<X500Principal> acceptedIssuers() {
        List<X500Principal> issuers = new ArrayList<>();
        for (X509Certificate anchor : anchorCertificates) {
            issuers.add(anchor.getSubjectX500Principal());
        }
        return List.copyOf(issuers);
    }

    /**
     * Verifies a peer's certificate chain.
     *
     * @param chain          the chain as the peer sent it, leaf first (RFC 8446 §4.4.2)
     * @param hostnameOrNull the host the client meant to reach, checked against the leaf's
     *                       names; null to skip (client certificates, or no name known)
     * @param serverAuth     true for a server's chain, false for a client's (mutual TLS);
     *                       decides which extended key usage the leaf must allow
     * @throws TlsException  with the alert to send and a reason a person can act on
     */
    public void verify(List<X509Certificate> chain, String hostnameOrNull, boolean serverAuth) throws TlsException {
        if (chain == null || chain.isEmpty()) {
            // At the message layer an empty TLS 1.3 server Certificate is decode_error (§4.4.2.4);
            // here, with no certificate to judge, it is bad_certificate.
            throw new TlsException(Alert.BAD_CERTIFICATE, "peer sent no certificate");
        }
        if (insecure) {
            return;
        }
        X509Certificate leaf = chain.get(0);
        validatePath(certificationPath(chain), leaf, serverAuth ? "--cafile" : "--client-ca");
        checkExtendedKeyUsage(leaf, serverAuth);
        if (hostnameOrNull != null && !HostnameVerifier.matches(leaf, hostnameOrNull)) {
            List<String> names = HostnameVerifier.describeNames(leaf);
            if (names.isEmpty()) {
                throw new TlsException(Alert.BAD_CERTIFICATE, "certificate " + subject(leaf)
                        + " has no DNS or IP subjectAltName, so it is not valid for " + hostnameOrNull
                        + " (the subject CN is not used to match host names, RFC 9525 §6.3)");
            }
            throw new TlsException(Alert.BAD_CERTIFICATE,
                    "certificate for " + String.join(", ", names) + " is not valid for " + hostnameOrNull);
        }
    }

    /**
     * The certification path to validate: the leaf, then each certificate's issuer from
     * the rest of the chain, stopping below a trusted certificate. RFC 8446 §4.4.2 asks us
     * to tolerate extra certificates and other orders, and RFC 5280 §6.1 wants the trust
     * anchor itself left out of the path. (Not a full path builder: it follows the first
     * certificate with the right subject name.)
     */
    private List<X509Certificate> certificationPath(List<X509Certificate> chain) {
        List<X509Certificate> path = new ArrayList<>();
        X509Certificate current = chain.get(0);
        path.add(current);
        while (path.size() < MAX_PATH_LENGTH && !issuedByAnchor(current) && !isSelfIssued(current)) {
            X509Certificate next = null;
            for (X509Certificate candidate : chain.subList(1, chain.size())) {
                if (candidate.getSubjectX500Principal().equals(current.getIssuerX500Principal())
                        && !path.contains(candidate)) {
                    next = candidate;
                    break;
                }
            }
            if (next == null) {
                break;
            }
            path.add(next);
            current = next;
        }
        return path;
    }

    private boolean issuedByAnchor(X509Certificate certificate) {
        for (X509Certificate anchor : anchorCertificates) {
            if (anchor.getSubjectX500Principal().equals(certificate.getIssuerX500Principal())) {
                return true;
            }
        }
        return false;
    }

    private void validatePath(List<X509Certificate> path, X509Certificate leaf, String trustOption) throws TlsException {
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        CertPath certPath;
        try {
            certPath = CertificateFactory.getInstance("X.509").generateCertPath(path);
            PKIXParameters parameters = new PKIXParameters(trustAnchors);
            parameters.setRevocationEnabled(false); // no OCSP or CRL fetching from the handshake
            parameters.setDate(Date.from(now));
            CertPathValidator.getInstance("PKIX").validate(certPath, parameters);
        } catch (CertPathValidatorException e) {
            throw describe(e, path, leaf, now, trustOption);
        } catch (GeneralSecurityException e) {
            throw new TlsException(Alert.BAD_CERTIFICATE, "cannot validate the certificate chain of "
                    + subject(leaf) + ": " + e.getMessage(), e);
        }
    }

    /** Turns the validator's reason into an alert and a sentence; {@code trustOption} is the command-line fix. */
    private static TlsException describe(CertPathValidatorException e, List<X509Certificate> path,
                                         X509Certificate leaf, Instant now, String trustOption) {
        int index = e.getIndex();
        X509Certificate at = index >= 0 && index < path.size() ? path.get(index) : null;
        CertPathValidatorException.Reason reason = e.getReason();
        if (reason == BasicReason.EXPIRED || reason == BasicReason.NOT_YET_VALID) {
            // RFC 5280 §6.1.3 (a)(2); RFC 8446 §6.2 certificate_expired.
            X509Certificate outOfDate = at != null ? at : firstOutOfDate(path, now);
            return new TlsException(Alert.CERTIFICATE_EXPIRED, outOfDateMessage(outOfDate, now), e);
        }
        if (reason == PKIXReason.NO_TRUST_ANCHOR) {
            X509Certificate top = path.get(path.size() - 1);
            X500Principal issuer = top.getIssuerX500Principal();
            String why = path.size() == 1 && isSelfIssued(leaf)
                    ? "certificate " + subject(leaf) + " is self-signed and is not in the trust store;"
                            + " pass " + trustOption + " with this certificate to trust it"
                    : "certificate " + subject(top) + " was issued by an authority that is not in the trust store;"
                            + " pass " + trustOption + " ca.pem to trust it";
            return new TlsException(Alert.UNKNOWN_CA, "issuer not trusted: " + issuer.getName() + " (" + why + ")", e);
        }
        String which = at != null ? subject(at) : subject(leaf);
        if (reason == BasicReason.INVALID_SIGNATURE) {
            return new TlsException(Alert.BAD_CERTIFICATE, "invalid signature on certificate " + which
                    + " (issuer " + (at != null ? at : leaf).getIssuerX500Principal().getName()
                    + "): it was altered, or signed by a different key than the trusted one", e);
        }
        if (reason == BasicReason.ALGORITHM_CONSTRAINED) {
            return new TlsException(Alert.BAD_CERTIFICATE, "certificate " + which
                    + " uses an algorithm or key size this JDK disables: " + e.getMessage(), e);
        }
        String detail = reason == PKIXReason.NOT_CA_CERT ? "is used as a CA but is not a CA certificate"
                : reason == PKIXReason.INVALID_KEY_USAGE ? "has a key usage that forbids its role in the chain"
                : reason == PKIXReason.PATH_TOO_LONG ? "exceeds a path length constraint"
                : reason == PKIXReason.INVALID_NAME ? "violates a name constraint"
                : reason == PKIXReason.NAME_CHAINING ? "does not chain to the next certificate"
                : reason == PKIXReason.UNRECOGNIZED_CRIT_EXT ? "has a critical extension this validator does not know"
                : "is not valid";
        return new TlsException(Alert.BAD_CERTIFICATE,
                "certificate " + which + " " + detail + " (" + e.getMessage() + ")", e);
    }

    private static X509Certificate firstOutOfDate(List<X509Certificate> path, Instant now) {
        for (X509Certificate certificate : path) {
            if (now.isBefore(certificate.getNotBefore().toInstant()) || now.isAfter(certificate.getNotAfter().toInstant())) {
                return certificate;
            }
        }
        return path.get(0);
    }

    private static String outOfDateMessage(X509Certificate certificate, Instant now) {
        Instant notBefore = certificate.getNotBefore().toInstant();
        if (now.isBefore(notBefore)) {
            return "certificate " + subject(certificate) + " is not valid until " + notBefore
                    + " (the current time is " + now + "; check the clocks)";
        }
        return "certificate " + subject(certificate) + " expired at " + certificate.getNotAfter().toInstant()
                + " (the current time is " + now + ")";
    }

    // RFC 5280 §4.2.1.12: if the extension is present, the certificate may only be used for
    // the purposes listed (or any, with anyExtendedKeyUsage).
    private static void checkExtendedKeyUsage(X509Certificate leaf, boolean serverAuth) throws TlsException {
        List<String> purposes;
        try {
            purposes = leaf.getExtendedKeyUsage();
        } catch (CertificateParsingException e) {
            throw new TlsException(Alert.BAD_CERTIFICATE, "certificate " + subject(leaf)
                    + " has a malformed extended key usage extension", e);
        }
        String wanted = serverAuth ? SERVER_AUTH : CLIENT_AUTH;
        if (purposes == null || purposes.contains(wanted) || purposes.contains(ANY_EXTENDED_KEY_USAGE)) {
            return;
        }
        List<String> names = new ArrayList<>();
        for (String oid : purposes) {
            names.add(KEY_PURPOSES.getOrDefault(oid, oid));
        }
        throw new TlsException(Alert.UNSUPPORTED_CERTIFICATE, "certificate " + subject(leaf) + " is not meant for TLS "
                + (serverAuth ? "servers" : "clients") + ": its extended key usage allows only "
                + String.join(", ", names) + ", not " + KEY_PURPOSES.get(wanted));
    }

    private static boolean isSelfIssued(X509Certificate certificate) {
        return certificate.getSubjectX500Principal().equals(certificate.getIssuerX500Principal());
    }

    private static String subject(X509Certificate certificate) {
        String name = certificate.getSubjectX500Principal().getName();
        return name.isEmpty() ? "(with an empty subject)" : name;
    }
}
