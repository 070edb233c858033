package org.tollgate.lb.l7.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Conformance table for the request and response parser: valid messages with what they
 * must parse to, invalid ones (every smuggling vector of the policy) with their exact
 * status, and each of them fed whole, cut at every byte boundary, and byte by byte.
 */
class HttpParserTest {

    private static final String H = "Host: a\r\n";

    /** Requests that must be refused, with the status. */
    static Stream<Arguments> badRequests() {
        String post = "POST / HTTP/1.1\r\n" + H;
        return Stream.of(
                // smuggling: CL.TE, TE.CL and TE.TE obfuscations
                Arguments.of("CL.TE", 400, post + "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nX"),
                Arguments.of("TE.CL", 400, post + "Transfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n0\r\n\r\nX"),
                Arguments.of("TE xchunked", 501, post + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("TE space before colon", 400, post + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("TE tab before colon", 400, post + "Transfer-Encoding\t: chunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("TE chunked, identity", 501, post + "Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"),
                Arguments.of("TE identity", 501, post + "Transfer-Encoding: identity\r\n\r\n"),
                Arguments.of("TE gzip, chunked", 501, post + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("TE chunked, chunked", 501, post + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("TE duplicate lines", 501, post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("TE chunked + x", 501, post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n0\r\n\r\n"),
                Arguments.of("TE chunked;q", 501, post + "Transfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n"),
                Arguments.of("TE empty", 501, post + "Transfer-Encoding: \r\n\r\n"),
                Arguments.of("TE obs-fold", 400, post + "Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("TE vertical tab in name", 400, post + "Transfer-Encoding\u000b: chunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("TE underscore", 400, post + "Transfer_Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc"),
                Arguments.of("CL underscore", 400, post + "Content_Length: 3\r\n\r\nabc"),
                Arguments.of("TE in HTTP/1.0", 400, "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("first line folded", 400, "GET / HTTP/1.1\r\n " + H + "\r\n"),
                // Content-Length
                Arguments.of("CL differing lines", 400, post + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"),
                Arguments.of("CL differing list", 400, post + "Content-Length: 5, 6\r\n\r\nhello!"),
                Arguments.of("CL plus sign", 400, post + "Content-Length: +5\r\n\r\nhello"),
                Arguments.of("CL negative", 400, post + "Content-Length: -1\r\n\r\n"),
                Arguments.of("CL hex", 400, post + "Content-Length: 0x5\r\n\r\nhello"),
                Arguments.of("CL inner space", 400, post + "Content-Length: 5 5\r\n\r\nhello"),
                Arguments.of("CL empty", 400, post + "Content-Length: \r\n\r\n"),
                Arguments.of("CL empty element", 400, post + "Content-Length: 5,\r\n\r\nhello"),
                Arguments.of("CL overflow", 400, post + "Content-Length: 99999999999999999999\r\n\r\n"),
                // chunk sizes
                Arguments.of("chunk 0x", 400, post + "Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n"),
                Arguments.of("chunk negative", 400, post + "Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n"),
                Arguments.of("chunk not hex", 400, post + "Transfer-Encoding: chunked\r\n\r\ng\r\nhello\r\n0\r\n\r\n"),
                Arguments.of("chunk leading space", 400, post + "Transfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n0\r\n\r\n"),
                Arguments.of("chunk trailing space", 400, post + "Transfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n"),
                Arguments.of("chunk empty size", 400, post + "Transfer-Encoding: chunked\r\n\r\n\r\nhello\r\n0\r\n\r\n"),
                Arguments.of("chunk overflow", 400, post + "Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF\r\nhello\r\n0\r\n\r\n"),
                Arguments.of("chunk data too long", 400, post + "Transfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n"),
                Arguments.of("chunk data bare LF", 400, post + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n"),
                Arguments.of("chunk ext control", 400, post + "Transfer-Encoding: chunked\r\n\r\n5;a=\u0001\r\nhello\r\n0\r\n\r\n"),
                Arguments.of("trailer folded", 400, post + "Transfer-Encoding: chunked\r\n\r\n0\r\nX: 1\r\n 2\r\n\r\n"),
                // bytes that do not belong in a head
                Arguments.of("bare CR in value", 400, "GET / HTTP/1.1\r\n" + H + "X: a\rb\r\n\r\n"),
                Arguments.of("bare CR in request line", 400, "GET /\r HTTP/1.1\r\n" + H + "\r\n"),
                Arguments.of("bare LF line ends", 400, "GET / HTTP/1.1\nHost: a\n\n"),
                Arguments.of("NUL in value", 400, "GET / HTTP/1.1\r\n" + H + "X: a\u0000b\r\n\r\n"),
                Arguments.of("SOH in value", 400, "GET / HTTP/1.1\r\n" + H + "X: \u0001\r\n\r\n"),
                Arguments.of("DEL in value", 400, "GET / HTTP/1.1\r\n" + H + "X: a\u007f\r\n\r\n"),
                Arguments.of("NUL in name", 400, "GET / HTTP/1.1\r\n" + H + "X\u0000Y: 1\r\n\r\n"),
                Arguments.of("no colon", 400, "GET / HTTP/1.1\r\n" + H + "NoColon\r\n\r\n"),
                Arguments.of("empty name", 400, "GET / HTTP/1.1\r\n" + H + ": x\r\n\r\n"),
                // request line
                Arguments.of("double space", 400, "GET  / HTTP/1.1\r\n" + H + "\r\n"),
                Arguments.of("trailing space", 400, "GET / HTTP/1.1 \r\n" + H + "\r\n"),
                Arguments.of("lower-case version", 400, "GET / http/1.1\r\n" + H + "\r\n"),
                Arguments.of("space in target", 400, "GET /a b HTTP/1.1\r\n" + H + "\r\n"),
                Arguments.of("non-ASCII target", 400, "GET /caf\u00e9 HTTP/1.1\r\n" + H + "\r\n"),
                Arguments.of("relative target", 400, "GET foo HTTP/1.1\r\n" + H + "\r\n"),
                Arguments.of("bad method char", 400, "G(T / HTTP/1.1\r\n" + H + "\r\n"),
                Arguments.of("no version", 400, "GET /\r\n" + H + "\r\n"),
                Arguments.of("HTTP/2.0", 505, "GET / HTTP/2.0\r\n" + H + "\r\n"),
                Arguments.of("HTTP/0.9", 505, "GET / HTTP/0.9\r\n" + H + "\r\n"),
                Arguments.of("too many empty lines first", 400, "\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n" + H + "\r\n"),
                // Host and Expect
                Arguments.of("1.1 without Host", 400, "GET / HTTP/1.1\r\n\r\n"),
                Arguments.of("two Hosts", 400, "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
                Arguments.of("Expect other", 417, "POST / HTTP/1.1\r\n" + H + "Expect: 200-ok\r\nContent-Length: 1\r\n\r\nx"),
                // limits (Transcript.TEST_LIMITS: 64-byte request line, 256-byte headers, 8 fields, 64-byte body)
                Arguments.of("request line too long", 414, "GET /" + "a".repeat(60) + " HTTP/1.1\r\n" + H + "\r\n"),
                Arguments.of("header section too large", 431, "GET / HTTP/1.1\r\n" + H + "X: " + "b".repeat(260) + "\r\n\r\n"),
                Arguments.of("too many fields", 431, "GET / HTTP/1.1\r\n" + H + "X: 1\r\n".repeat(8) + "\r\n"),
                Arguments.of("CL body too large", 413, post + "Content-Length: 65\r\n\r\n" + "z".repeat(65)),
                Arguments.of("chunked body too large", 413, post + "Transfer-Encoding: chunked\r\n\r\n20\r\n" + "z".repeat(32)
                        + "\r\n21\r\n" + "z".repeat(33) + "\r\n0\r\n\r\n"),
                Arguments.of("trailers too large", 431, post + "Transfer-Encoding: chunked\r\n\r\n0\r\nX: " + "t".repeat(250) + "\r\n\r\n"),
                // cut short
                Arguments.of("CL body cut short", 400, post + "Content-Length: 10\r\n\r\nabc"),
                Arguments.of("chunked cut short", 400, post + "Transfer-Encoding: chunked\r\n\r\n5\r\nhel"),
                Arguments.of("head cut short", 400, "GET / HTTP/1.1\r\nHo"));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("badRequests")
    void refusesBadRequestWithStatus(String name, int status, String input) {
        String whole = Transcript.requests(input);
        assertTrue(whole.endsWith("ERROR " + status + "\n"), name + ": got\n" + whole);
        assertFalse(whole.contains("END"), name + ": a refused message must never complete:\n" + whole);
        assertSameAtEveryCut(input, whole, null);
    }

    /** Valid requests, and the exact transcript each must give. */
    static Stream<Arguments> goodRequests() {
        return Stream.of(
                Arguments.of("GET / HTTP/1.1\r\nHost: a\r\n\r\n",
                        "HEAD GET / HTTP/1.1 NONE keep-alive\nHost: a\n\nEND\n"),
                Arguments.of("POST /x?y=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
                        "HEAD POST /x?y=1 HTTP/1.1 CONTENT_LENGTH(5) keep-alive\nHost: a\nContent-Length: 5\n\nBODY hello\nEND\n"),
                Arguments.of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1; q=\"x y\"\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 1\r\n\r\n",
                        "HEAD POST / HTTP/1.1 CHUNKED keep-alive\nHost: a\nTransfer-Encoding: chunked\n\nBODY hello world\nTRAILERS X-Sum: 1\r\nEND\n"),
                Arguments.of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\tChunked \r\n\r\nA\r\n0123456789\r\n00\r\n\r\n",
                        "HEAD POST / HTTP/1.1 CHUNKED keep-alive\nHost: a\nTransfer-Encoding: Chunked\n\nBODY 0123456789\nEND\n"),
                Arguments.of("GET / HTTP/1.0\r\n\r\n",
                        "HEAD GET / HTTP/1.0 NONE close\n\nEND\n"),
                Arguments.of("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
                        "HEAD GET / HTTP/1.0 NONE keep-alive\nConnection: Keep-Alive\n\nEND\n"),
                Arguments.of("GET / HTTP/1.1\r\nHost: a\r\nConnection: x, close\r\n\r\n",
                        "HEAD GET / HTTP/1.1 NONE close\nHost: a\nConnection: x, close\n\nEND\n"),
                Arguments.of("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3, 3\r\n\r\nabc",
                        "HEAD PUT / HTTP/1.1 CONTENT_LENGTH(3) keep-alive\nHost: a\nContent-Length: 3\nContent-Length: 3, 3\n\nBODY abc\nEND\n"),
                Arguments.of("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\nx",
                        "HEAD POST / HTTP/1.1 CONTENT_LENGTH(1) keep-alive expect-100\nHost: a\nExpect: 100-Continue\nContent-Length: 1\n\nBODY x\nEND\n"),
                Arguments.of("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx",
                        "HEAD POST / HTTP/1.0 CONTENT_LENGTH(1) close\nExpect: 100-continue\nContent-Length: 1\n\nBODY x\nEND\n"),
                // pipelined, with the tolerated empty line between them
                Arguments.of("GET /1 HTTP/1.1\r\nHost: a\r\n\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n",
                        "HEAD GET /1 HTTP/1.1 NONE keep-alive\nHost: a\n\nEND\nHEAD GET /2 HTTP/1.1 NONE keep-alive\nHost: a\n\nEND\n"),
                Arguments.of("GET / HTTP/1.1\r\nHost: a\r\nX:  caf\u00e9 \r\nEmpty:\r\n\r\n",
                        "HEAD GET / HTTP/1.1 NONE keep-alive\nHost: a\nX: caf\u00e9\nEmpty: \n\nEND\n"),
                Arguments.of("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
                        "HEAD OPTIONS * HTTP/1.1 NONE keep-alive\nHost: a\n\nEND\n"),
                Arguments.of("GET http://a/x HTTP/1.3\r\nHost: a\r\n\r\n",
                        "HEAD GET http://a/x HTTP/1.1 NONE keep-alive\nHost: a\n\nEND\n"));
    }

    @ParameterizedTest
    @MethodSource("goodRequests")
    void parsesGoodRequest(String input, String expected) {
        String whole = Transcript.requests(input);
        assertEquals(normalise(expected), normalise(whole), input);
        assertSameAtEveryCut(input, whole, null);
    }

    static Stream<Arguments> badResponses() {
        return Stream.of(
                Arguments.of("CL and TE", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("TE xchunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: xchunked\r\n\r\n"),
                Arguments.of("TE chunked, identity", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"),
                Arguments.of("TE in 1.0", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("space before colon", "HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello"),
                Arguments.of("obs-fold", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n"),
                Arguments.of("differing CL", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 4\r\n\r\nhello"),
                Arguments.of("NUL", "HTTP/1.1 200 OK\r\nX: \u0000\r\nContent-Length: 0\r\n\r\n"),
                Arguments.of("bare CR", "HTTP/1.1 200 OK\r\nX: a\rContent-Length: 0\r\n\r\n"),
                Arguments.of("two-digit status", "HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n"),
                Arguments.of("no space after status", "HTTP/1.1 200OK\r\nContent-Length: 0\r\n\r\n"),
                Arguments.of("no reason separator", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n"),
                Arguments.of("status 600", "HTTP/1.1 600 Odd\r\nContent-Length: 0\r\n\r\n"),
                Arguments.of("bad version", "HTTP/2 200 OK\r\nContent-Length: 0\r\n\r\n"),
                Arguments.of("bad chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nz\r\n"),
                Arguments.of("leading empty line", "\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
                Arguments.of("cut short", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badResponses")
    void refusesBadResponseWith502(String name, String input) {
        String whole = Transcript.responses(input, "GET");
        assertTrue(whole.endsWith("ERROR 502\n"), name + ": got\n" + whole);
        assertFalse(whole.contains("END"), whole);
        assertSameAtEveryCut(input, whole, "GET");
    }

    static Stream<Arguments> goodResponses() {
        return Stream.of(
                Arguments.of("GET", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
                        "HEAD HTTP/1.1 200 OK CONTENT_LENGTH(5) keep-alive\nContent-Length: 5\n\nBODY hello\nEND\n"),
                Arguments.of("GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: 9\r\n\r\n",
                        "HEAD HTTP/1.1 200 OK CHUNKED keep-alive\nTransfer-Encoding: chunked\n\nBODY abc\nTRAILERS X-T: 9\r\nEND\n"),
                Arguments.of("GET", "HTTP/1.1 200 OK\r\n\r\nuntil close",
                        "HEAD HTTP/1.1 200 OK UNTIL_CLOSE close\n\nBODY until close\nEND(eof)\n"),
                Arguments.of("GET", "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n",
                        "HEAD HTTP/1.1 204 No Content NONE keep-alive\nContent-Length: 0\n\nEND\n"),
                Arguments.of("GET", "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n",
                        "HEAD HTTP/1.1 304 Not Modified NONE keep-alive\nContent-Length: 99\n\nEND\n"),
                Arguments.of("HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n",
                        "HEAD HTTP/1.1 200 OK NONE keep-alive\nContent-Length: 99\n\nEND\n"),
                Arguments.of("POST", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
                        "HEAD HTTP/1.1 100 Continue NONE keep-alive\n\nHEAD HTTP/1.1 201 Created CONTENT_LENGTH(2) keep-alive\nContent-Length: 2\n\nBODY ok\nEND\n"),
                Arguments.of("GET", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
                        "HEAD HTTP/1.0 200 OK CONTENT_LENGTH(2) close\nContent-Length: 2\n\nBODY ok\nEND\n"),
                Arguments.of("GET", "HTTP/1.1 404 \r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
                        "HEAD HTTP/1.1 404  CONTENT_LENGTH(0) close\nConnection: close\nContent-Length: 0\n\nEND\n"));
    }

    @ParameterizedTest
    @MethodSource("goodResponses")
    void parsesGoodResponse(String method, String input, String expected) {
        String whole = Transcript.responses(input, method);
        assertEquals(normalise(expected), normalise(whole), input);
        assertSameAtEveryCut(input, whole, method);
    }

    /** Header lines print with CRLF; the expectations are written with LF: compare on one form. */
    private static String normalise(String transcript) {
        return transcript.replace("\r\n", "\n");
    }

    /** Same transcript when cut in two at every boundary, and when fed byte by byte. */
    private static void assertSameAtEveryCut(String input, String whole, String method) {
        for (int cut = 1; cut < input.length(); cut++) {
            String got = method == null ? Transcript.requests(input, cut) : Transcript.responses(input, method, cut);
            assertEquals(whole, got, "cut at " + cut + " of " + input.length());
        }
        int[] everyByte = IntStream.range(1, input.length()).toArray();
        String bytewise = method == null ? Transcript.requests(input, everyByte) : Transcript.responses(input, method, everyByte);
        assertEquals(whole, bytewise, "byte by byte");
    }

    @Test
    void bodyIsASliceOfTheInputNotACopy() throws HttpException {
        HttpParser p = HttpParser.forRequests(HttpLimits.REQUEST_DEFAULTS);
        ByteBuffer in = ByteBuffer.wrap(Transcript.bytes("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"));
        assertEquals(HttpParser.Event.HEAD, p.next(in));
        assertEquals(HttpParser.Event.BODY, p.next(in));
        assertSame(in.array(), p.body().array());
        assertEquals(5, p.body().remaining());
        assertEquals(HttpParser.Event.END, p.next(in));
        assertTrue(p.isIdle());
    }

    @Test
    void stopsAfterEachMessageLeavingPipelinedBytes() throws HttpException {
        HttpParser p = HttpParser.forRequests(HttpLimits.REQUEST_DEFAULTS);
        String second = "GET /2 HTTP/1.1\r\nHost: a\r\n\r\n";
        ByteBuffer in = ByteBuffer.wrap(Transcript.bytes("GET /1 HTTP/1.1\r\nHost: a\r\n\r\n" + second));
        assertEquals(HttpParser.Event.HEAD, p.next(in));
        assertEquals(HttpParser.Event.END, p.next(in));
        assertEquals(second.length(), in.remaining());
        assertEquals(HttpParser.Event.HEAD, p.next(in));
        assertEquals("/2", p.request().target());
    }

    @Test
    void staysFailedAfterAnError() {
        HttpParser p = HttpParser.forRequests(HttpLimits.REQUEST_DEFAULTS);
        ByteBuffer in = ByteBuffer.wrap(Transcript.bytes("GET / HTTP/1.1\r\nX : y\r\n\r\n"));
        HttpException e = assertThrows(HttpException.class, () -> p.next(in));
        assertEquals(400, e.status());
        assertTrue(e.getMessage().contains("whitespace"), e.getMessage());
        HttpException again = assertThrows(HttpException.class, () -> p.next(ByteBuffer.wrap(Transcript.bytes("GET / HTTP/1.1\r\n"))));
        assertSame(e, again);
    }

    @Test
    void removesHopByHopFieldsAndThoseConnectionNames() {
        HttpHeaders h = new HttpHeaders()
                .add("Host", "a").add("Connection", "keep-alive, X-Secret").add("X-Secret", "1")
                .add("Keep-Alive", "timeout=5").add("TE", "trailers").add("Transfer-Encoding", "chunked")
                .add("Upgrade", "websocket").add("Proxy-Connection", "keep-alive").add("X-Kept", "2");
        List<String> tokens = h.removeHopByHop();
        assertEquals(List.of("keep-alive", "x-secret"), tokens);
        assertEquals("Host: a\r\nX-Kept: 2\r\n", h.toString());
    }

    @Test
    void findsCookies() {
        HttpHeaders h = new HttpHeaders().add("Cookie", "a=1; session=abc ; b=2").add("Cookie", "c=3");
        assertEquals("abc", h.cookie("session"));
        assertEquals("3", h.cookie("c"));
        assertEquals(null, h.cookie("sess"));
    }

    @Test
    void knowsIdempotentMethodsAndPath() throws HttpException {
        HttpParser p = HttpParser.forRequests(HttpLimits.REQUEST_DEFAULTS);
        p.next(ByteBuffer.wrap(Transcript.bytes("DELETE /a/b?c=d HTTP/1.1\r\nHost: a\r\n\r\n")));
        assertNotNull(p.request());
        assertTrue(p.request().isIdempotent());
        assertEquals("/a/b", p.request().path());
        HttpParser q = HttpParser.forRequests(HttpLimits.REQUEST_DEFAULTS);
        q.next(ByteBuffer.wrap(Transcript.bytes("POST / HTTP/1.1\r\nHost: a\r\n\r\n")));
        assertFalse(q.request().isIdempotent());
    }
}
