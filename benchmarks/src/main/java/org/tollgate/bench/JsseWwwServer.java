package org.tollgate.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.tollgate.tls.cert.CertifiedKey;

/**
 * A small SunJSSE server for the loopback benchmark (loopback.sh), answering like
 * {@code openssl s_server -www}: it reads a request up to its blank line, sends a short
 * HTTP/1.0 page and closes. TLS 1.3 with TLS_AES_128_GCM_SHA256 only, unless a protocol and
 * a suite follow the key (e.g. {@code TLSv1.2 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}); the
 * key exchange group comes from {@code -Djdk.tls.namedGroups}. One thread per connection.
 * Sessions are resumed as SunJSSE does by default.
 *
 * <pre>java -Djdk.tls.namedGroups=x25519 -cp benchmarks.jar org.tollgate.bench.JsseWwwServer PORT CERT.pem KEY.pem [PROTOCOL SUITE]</pre>
 *
 * It prints "listening on PORT" once the socket is bound (PORT 0 picks a free one).
 */
public final class JsseWwwServer {
    private static final byte[] RESPONSE = ("HTTP/1.0 200 ok\r\nContent-type: text/plain\r\n\r\n"
            + "JSSE -www benchmark server\r\n").getBytes(StandardCharsets.US_ASCII);

    private JsseWwwServer() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3 && args.length != 5) {
            System.err.println("usage: JsseWwwServer PORT CERT.pem KEY.pem [PROTOCOL SUITE]");
            System.exit(2);
        }
        String protocol = args.length == 5 ? args[3] : "TLSv1.3";
        String suite = args.length == 5 ? args[4] : BenchPki.SUITE;
        CertifiedKey key = CertifiedKey.load(Path.of(args[1]), Path.of(args[2]));
        char[] password = "bench".toCharArray();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("server", key.privateKey(), password, key.chain().toArray(new X509Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, password);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        try (SSLServerSocket server = (SSLServerSocket) ctx.getServerSocketFactory()
                .createServerSocket(Integer.parseInt(args[0]), 128, InetAddress.getLoopbackAddress())) {
            SSLParameters p = server.getSSLParameters();
            p.setProtocols(new String[] {protocol});
            p.setCipherSuites(new String[] {suite});
            server.setSSLParameters(p);
            System.out.println("listening on " + server.getLocalPort());
            System.out.flush();
            while (true) {
                Socket s = server.accept();
                Thread t = new Thread(() -> serve((SSLSocket) s), "conn");
                t.setDaemon(true);
                t.start();
            }
        }
    }

    private static void serve(SSLSocket s) {
        try (s) {
            s.setTcpNoDelay(true);
            InputStream in = s.getInputStream();
            byte[] buf = new byte[4096];
            int fill = 0;
            while (!endOfHeaders(buf, fill)) {
                int n = in.read(buf, fill, buf.length - fill);
                if (n < 0 || fill + n == buf.length) {
                    return;
                }
                fill += n;
            }
            OutputStream out = s.getOutputStream();
            out.write(RESPONSE);
            out.flush();
        } catch (IOException e) {
            // the client went away; nothing to do in a benchmark server
        }
    }

    private static boolean endOfHeaders(byte[] b, int n) {
        for (int i = 3; i < n; i++) {
            if (b[i - 3] == '\r' && b[i - 2] == '\n' && b[i - 1] == '\r' && b[i] == '\n') {
                return true;
            }
        }
        return false;
    }
}
