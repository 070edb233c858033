package org.tollgate.tls.handshake;

import org.tollgate.tls.TlsException;

/**
 * One step of a handshake, named after the message it expects. {@code handle} takes that
 * message (header included) and returns the next state; any other message is
 * unexpected_message. Reading the states in order is reading the handshake.
 */
public sealed interface HandshakeState permits ClientHandshake.ExpectServerHello,
        ClientHandshake.ExpectEncryptedExtensions, ClientHandshake.ExpectCertificateOrCertificateRequest,
        ClientHandshake.ExpectCertificate, ClientHandshake.ExpectCertificateVerify, ClientHandshake.ExpectFinished,
        ServerHandshake.ExpectClientHello, ServerHandshake.ExpectClientFinished,
        Connected,
        Tls12ClientHandshake.ExpectCertificate, Tls12ClientHandshake.ExpectServerKeyExchange,
        Tls12ClientHandshake.ExpectServerHelloDone, Tls12ClientHandshake.ExpectChangeCipherSpec,
        Tls12ClientHandshake.ExpectFinished,
        Tls12ServerHandshake.ExpectClientKeyExchange, Tls12ServerHandshake.ExpectChangeCipherSpec,
        Tls12ServerHandshake.ExpectFinished,
        Tls12Connected,
        ClientAuthentication.ExpectClientCertificate, ClientAuthentication.ExpectClientCertificateVerify {

    HandshakeState handle(HandshakeContext ctx, byte[] message) throws TlsException;

    /**
     * A TLS 1.2 ChangeCipherSpec (RFC 5246 §7.1): only the states that expect it, right
     * before the peer's Finished, accept it; anywhere else it is unexpected_message.
     */
    default HandshakeState changeCipherSpec(HandshakeContext ctx) throws TlsException {
        throw TlsException.unexpectedMessage("received ChangeCipherSpec while in state " + name());
    }

    /** A short name for traces and errors, e.g. {@code ExpectServerHello}. */
    default String name() {
        return getClass().getSimpleName();
    }

    /** Fails with unexpected_message naming what arrived and what was expected. */
    static TlsException unexpected(HandshakeState state, byte[] message) {
        return TlsException.unexpectedMessage("received " + HandshakeType.name(message[0] & 0xFF)
                + " while in state " + state.name());
    }
}
