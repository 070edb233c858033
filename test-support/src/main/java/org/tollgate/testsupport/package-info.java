/**
 * Test fixtures shared by the modules' tests: external programs ({@link org.tollgate.testsupport.Processes},
 * {@link org.tollgate.testsupport.OpenSslServer}, {@link org.tollgate.testsupport.Curl},
 * {@link org.tollgate.testsupport.Chromium}) started with bounded waits, their output kept in files for
 * failure messages, and always killed on close; free loopback ports ({@link org.tollgate.testsupport.Ports}); and
 * {@link org.tollgate.testsupport.Closer}, which closes what a test opened after each test.
 *
 * <p>A program that is not installed fails the test with a message naming it: a test never passes
 * (or is skipped) because a peer was missing. Used in test scope only; not a library.
 */
package org.tollgate.testsupport;
