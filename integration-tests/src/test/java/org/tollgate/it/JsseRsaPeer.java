package org.tollgate.it;

import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.Security;
import java.security.cert.Certificate;
import java.util.Arrays;
import java.util.stream.Collectors;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.tollgate.tls.cert.PemFiles;

/**
 * A JSSE peer speaking only TLS_RSA_WITH_AES_128_GCM_SHA256 over TLS 1.2, run in a JVM of its
 * own by {@link JsseRsaKeyExchangeTest}: SunJSSE reads {@code jdk.tls.disabledAlgorithms} once
 * per JVM, and JDK 24 and newer list {@code TLS_RSA_*} there. With {@code reenable} it removes
 * that entry with {@link Security#setProperty} before JSSE starts, in this process only.
 *
 * <pre>
 * JsseRsaPeer reenable client PORT CA.pem           GET / from our server, prints "SUITE name" and the page
 * JsseRsaPeer reenable server CA.pem CERT.pem KEY.pem  prints "PORT n", echoes one line with the suite
 * </pre>
 * Any failure is printed as "FAILED: ..." with exit status 1.
 */
public final class JsseRsaPeer {
    static final String SUITE = "TLS_RSA_WITH_AES_128_GCM_SHA256";

    private JsseRsaPeer() {
    }

    public static void main(String[] args) throws Exception {
        String disabled = Security.getProperty("jdk.tls.disabledAlgorithms");
        System.out.println("jdk.tls.disabledAlgorithms=" + disabled.replaceAll("\\s+", " "));
        if (Boolean.parseBoolean(args[0])) {
            String kept = Arrays.stream(disabled.split(",")).map(String::strip)
                    .filter(a -> !a.startsWith("TLS_RSA_")).collect(Collectors.joining(", "));
            Security.setProperty("jdk.tls.disabledAlgorithms", kept);
        }
        try {
            if (args[1].equals("client")) {
                client(Integer.parseInt(args[2]), Path.of(args[3]));
            } else {
                server(Path.of(args[2]), Path.of(args[3]), Path.of(args[4]));
            }
        } catch (Exception e) {
            System.out.println("FAILED: " + e);
            System.out.flush();
            System.exit(1);
        }
    }

    private static SSLContext context(Path ca, Path cert, Path key) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", PemFiles.readCertificates(ca).get(0));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(trust);
        KeyManagerFactory kmf = null;
        if (cert != null) {
            char[] password = "in-memory".toCharArray();
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("server", PemFiles.readPrivateKey(key), password,
                    PemFiles.readCertificates(cert).toArray(new Certificate[0]));
            kmf = KeyManagerFactory.getInstance("PKIX");
            kmf.init(keys, password);
        }
        SSLContext context = SSLContext.getInstance("TLSv1.2");
        context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return context;
    }

    private static void client(int port, Path ca) throws Exception {
        try (SSLSocket socket = (SSLSocket) context(ca, null, null).getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            socket.setEnabledProtocols(new String[] {"TLSv1.2"});
            socket.setEnabledCipherSuites(new String[] {SUITE});
            socket.startHandshake();
            System.out.println("SUITE " + socket.getSession().getCipherSuite());
            OutputStream out = socket.getOutputStream();
            out.write(OpenSslClient.httpGet("localhost").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            System.out.println(OurClient.readAll(socket.getInputStream()));
        }
    }

    private static void server(Path ca, Path cert, Path key) throws Exception {
        try (SSLServerSocket listener = (SSLServerSocket) context(ca, cert, key).getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            listener.setEnabledProtocols(new String[] {"TLSv1.2"});
            listener.setEnabledCipherSuites(new String[] {SUITE});
            System.out.println("PORT " + listener.getLocalPort());
            System.out.flush();
            try (SSLSocket s = (SSLSocket) listener.accept()) {
                s.setSoTimeout(10_000);
                String line = Jsse.readLine(s.getInputStream());
                s.getOutputStream().write((line + " " + s.getSession().getCipherSuite() + "\n").getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
            }
        }
    }
}
