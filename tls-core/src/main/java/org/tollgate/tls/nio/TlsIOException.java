package org.tollgate.tls.nio;

import java.io.IOException;
import org.tollgate.tls.Alert;
import org.tollgate.tls.TlsException;

/**
 * A TLS protocol failure seen through a channel: the I/O face of a {@link TlsException}.
 * When it is thrown the alert has already been sent (as far as the socket would take it)
 * and the channel is closed.
 */
public class TlsIOException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient TlsException tlsException;

    /**
     * Wraps a protocol failure for I/O callers.
     * @param cause the TLS failure, with its alert
     */
    public TlsIOException(TlsException cause) {
        super(cause.toString(), cause);
        this.tlsException = cause;
    }

    /** {@return the protocol failure: its alert, who sent it, and the message} */
    public TlsException tlsException() {
        return tlsException;
    }

    /** {@return the alert, as {@code tlsException().alert()}} */
    public Alert alert() {
        return tlsException.alert();
    }
}
