/**
 * The NIO binding of the sans-I/O engine: {@link org.tollgate.tls.nio.TlsChannel}, a
 * {@link java.nio.channels.ByteChannel} over a socket that speaks TLS, and
 * {@link org.tollgate.tls.nio.EventLoop} / {@link org.tollgate.tls.nio.EventLoopGroup},
 * a selector thread per core with tasks and timers, on which the servers and load
 * balancers run.
 */
package org.tollgate.tls.nio;
