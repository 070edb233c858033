package org.tollgate.it;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.Vector;
import org.bouncycastle.tls.CertificateRequest;
import org.bouncycastle.tls.DefaultTlsClient;
import org.bouncycastle.tls.NameType;
import org.bouncycastle.tls.ProtocolName;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.SecurityParameters;
import org.bouncycastle.tls.ServerName;
import org.bouncycastle.tls.TlsAuthentication;
import org.bouncycastle.tls.TlsClientProtocol;
import org.bouncycastle.tls.TlsCredentials;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.TlsServerCertificate;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;

/**
 * BouncyCastle's TLS stack as a TLS 1.3 client: its low-level API
 * ({@link TlsClientProtocol} with a {@link DefaultTlsClient} over {@link BcTlsCrypto},
 * BouncyCastle's pure-Java cryptography, not the JDK's), so nothing is shared with the
 * JDK providers Tollgate may use. It checks the server chain against the demo CA with the
 * JDK's PKIX validator and that the leaf names {@code host}.
 */
final class BcTlsClient {
    /** What BouncyCastle negotiated, and the response it read. */
    record Result(String protocol, int cipherSuite, String alpn, String response) {
    }

    private BcTlsClient() {
    }

    /**
     * Connects to 127.0.0.1:{@code port} with SNI {@code host}, offering {@code alpn},
     * sends {@code request} and reads until the server closes.
     */
    static Result get(Pki pki, int port, String host, List<String> alpn, String request) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(10_000);
            TlsClientProtocol protocol = new TlsClientProtocol(socket.getInputStream(), socket.getOutputStream());
            Client client = new Client(pki.ca(), host, alpn);
            protocol.connect(client);
            protocol.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            protocol.getOutputStream().flush();
            String response = Jsse.readAll(protocol.getInputStream());
            SecurityParameters parameters = client.parameters();
            ProtocolName negotiated = parameters.getApplicationProtocol();
            Result result = new Result(parameters.getNegotiatedVersion().toString(), parameters.getCipherSuite(),
                    negotiated == null ? null : negotiated.getUtf8Decoding(), response);
            protocol.close();
            return result;
        }
    }

    private static final class Client extends DefaultTlsClient {
        private final X509Certificate ca;
        private final String host;
        private final List<String> alpn;

        Client(X509Certificate ca, String host, List<String> alpn) {
            super(new BcTlsCrypto(new SecureRandom()));
            this.ca = ca;
            this.host = host;
            this.alpn = alpn;
        }

        SecurityParameters parameters() {
            return context.getSecurityParametersConnection();
        }

        @Override
        protected ProtocolVersion[] getSupportedVersions() {
            return ProtocolVersion.TLSv13.only();
        }

        @Override
        protected Vector<ServerName> getSNIServerNames() {
            Vector<ServerName> names = new Vector<>();
            names.add(new ServerName(NameType.host_name, host.getBytes(StandardCharsets.US_ASCII)));
            return names;
        }

        @Override
        protected Vector<ProtocolName> getProtocolNames() {
            if (alpn.isEmpty()) {
                return null;
            }
            Vector<ProtocolName> names = new Vector<>();
            alpn.forEach(p -> names.add(ProtocolName.asUtf8Encoding(p)));
            return names;
        }

        @Override
        public TlsAuthentication getAuthentication() {
            return new TlsAuthentication() {
                @Override
                public void notifyServerCertificate(TlsServerCertificate serverCertificate) throws IOException {
                    verify(serverCertificate);
                }

                @Override
                public TlsCredentials getClientCredentials(CertificateRequest request) {
                    return null;
                }
            };
        }

        private void verify(TlsServerCertificate serverCertificate) throws IOException {
            try {
                CertificateFactory factory = CertificateFactory.getInstance("X.509");
                List<X509Certificate> chain = new ArrayList<>();
                org.bouncycastle.tls.Certificate certificate = serverCertificate.getCertificate();
                for (int i = 0; i < certificate.getLength(); i++) {
                    chain.add((X509Certificate) factory.generateCertificate(
                            new ByteArrayInputStream(certificate.getCertificateAt(i).getEncoded())));
                }
                PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
                parameters.setRevocationEnabled(false);
                CertPathValidator.getInstance("PKIX").validate(factory.generateCertPath(chain), parameters);
                boolean named = chain.get(0).getSubjectAlternativeNames() != null
                        && chain.get(0).getSubjectAlternativeNames().stream()
                            .anyMatch(n -> ((Integer) n.get(0)) == 2 && host.equalsIgnoreCase((String) n.get(1)));
                if (!named) {
                    throw new TlsFatalAlert(org.bouncycastle.tls.AlertDescription.bad_certificate,
                            "certificate not valid for " + host);
                }
            } catch (GeneralSecurityException e) {
                throw new TlsFatalAlert(org.bouncycastle.tls.AlertDescription.bad_certificate, e);
            }
        }
    }
}
