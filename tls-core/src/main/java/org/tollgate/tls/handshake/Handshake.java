package org.tollgate.tls.handshake;

import org.tollgate.tls.wire.WireWriter;

/**
 * A handshake message on the wire: {@code msg_type u8, length u24, body} (RFC 8446 §4).
 * Every message type below is a plain record with its codec beside its fields.
 */
public sealed interface Handshake permits ClientHello, ServerHello, EncryptedExtensions, CertificateMessage,
        CertificateRequest, CertificateVerify, Finished, NewSessionTicket, KeyUpdate,
        Tls12CertificateMessage, ServerKeyExchange, ServerHelloDone, ClientKeyExchange, Tls12CertificateRequest,
        Tls12NewSessionTicket {

    /** The HandshakeType of this message. */
    int type();

    /** Writes the body (without the 4-byte header). */
    void encodeBody(WireWriter w);

    /** The whole message, header included: what goes into the transcript hash. */
    default byte[] encode() {
        WireWriter w = new WireWriter(512);
        w.u8(type());
        int m = w.open24();
        encodeBody(w);
        w.close(m);
        return w.toByteArray();
    }
}
