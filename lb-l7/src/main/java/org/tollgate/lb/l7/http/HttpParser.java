package org.tollgate.lb.l7.http;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A strict, incremental HTTP/1.1 message parser (RFC 9112), sans-I/O: give it bytes as they
 * arrive, split anywhere, and it reports what it found. One parser reads a stream of
 * requests (server side) or of responses (client side), message after message.
 *
 * <pre>{@code
 * HttpParser p = HttpParser.forRequests(HttpLimits.REQUEST_DEFAULTS);
 * loop:
 * while (true) {
 *     switch (p.next(buffer)) {
 *         case NEED_MORE: break loop;              // read more into buffer
 *         case HEAD: route(p.request()); break;    // request line and headers
 *         case BODY: forward(p.body()); break;     // a slice of the body, not copied
 *         case END: done(p.trailers()); break;     // message complete; the next may follow
 *     }
 * }
 * }</pre>
 *
 * <p>The head is copied out of the input as it is parsed; bodies are not: each {@code BODY}
 * event hands out a slice of the caller's buffer, valid until the caller changes that
 * buffer. Chunked bodies come out decoded (chunk sizes, extensions and CRLFs removed).
 * The parser stops after {@code END} without looking at the next message's bytes, so
 * pipelined requests stay in the buffer until the caller asks for them.
 *
 * <h2>Strictness and request smuggling</h2>
 * Two parties that frame one message differently is how requests are smuggled. So every
 * ambiguity RFC 9112 lets a recipient tolerate is refused here, with one policy:
 * <ul>
 * <li>Content-Length and Transfer-Encoding together: 400 (RFC 9112 §6.3 ¶3, §11.2).</li>
 * <li>Content-Length not 1*DIGIT, or several differing values (as several lines or a
 *     list): 400 (RFC 9110 §8.6); identical repeated values are one value.</li>
 * <li>Transfer-Encoding other than exactly one {@code chunked} coding (case-insensitive):
 *     501 Not Implemented. That covers unknown codings ({@code xchunked},
 *     {@code identity}), {@code chunked} not last ({@code chunked, identity}), chunked
 *     twice (two lines, or {@code chunked, chunked}) and compression codings in front
 *     of it ({@code gzip, chunked}): this proxy frames by chunked alone and does not
 *     pass other codings on. RFC 9112 §6.3 ¶4 asks 400 for "chunked not final"; we
 *     answer 501 for every refused coding, so there is one rule, and close either way.
 *     Transfer-Encoding in an HTTP/1.0 request: 400 (RFC 9112 §6.1).</li>
 * <li>Whitespace between a field name and its colon: 400 (RFC 9112 §5.1); a line
 *     starting with whitespace (obs-fold): 400 (RFC 9112 §5.2); a CR not followed by LF,
 *     a LF without CR, NUL or any other control byte except HTAB: 400 (RFC 9112 §2.2,
 *     RFC 9110 §5.5). Field names {@code Content_Length} and {@code Transfer_Encoding}
 *     (which some servers read as the dashed names): 400.</li>
 * <li>Chunk sizes that are not 1*HEXDIG (signs, {@code 0x}, spaces, overflow), or chunk
 *     data not followed by CRLF: 400 (RFC 9112 §7.1).</li>
 * <li>HTTP/1.1 request without Host, or with two: 400 (RFC 9112 §3.2).</li>
 * <li>Version other than HTTP/1.0 or HTTP/1.x: 505; malformed version or request line: 400.</li>
 * <li>{@code Expect} other than {@code 100-continue}: 417 (RFC 9110 §10.1.1).</li>
 * </ul>
 * Limits ({@link HttpLimits}): request line 414, header section size or field count 431,
 * body size 413 (at once for a Content-Length, as soon as exceeded for chunked).
 *
 * <p>Responses follow the same rules; every failure there has status 502, which is what a
 * proxy answers its client. A response to HEAD, and 1xx, 204 and 304, have no body
 * whatever their headers say (RFC 9112 §6.3 ¶1-2); one without Content-Length or
 * Transfer-Encoding runs until the backend closes ({@link #finish()}).
 *
 * <p>After an {@link HttpException} the parser stays failed: the caller answers with the
 * exception's status and closes the connection.
 */
public final class HttpParser {

    /** What {@link #next(ByteBuffer)} found. */
    public enum Event {
        /** The input is used up before anything complete: give more bytes. */
        NEED_MORE,
        /** A request or response head: {@link #request()} or {@link #response()}. */
        HEAD,
        /** Some body bytes: {@link #body()}. */
        BODY,
        /** The message is complete ({@link #trailers()} for chunked bodies). */
        END
    }

    private enum State { START_LINE, HEADERS, NO_BODY, BODY_LENGTH, CHUNK_SIZE, CHUNK_DATA, CHUNK_DATA_END, TRAILERS, UNTIL_CLOSE, UPGRADED, FAILED }

    /** Empty lines tolerated before a request line (RFC 9112 §2.2: "at least one"). */
    private static final int MAX_LEADING_EMPTY_LINES = 4;

    private final boolean requests;
    private final HttpLimits limits;

    private State state = State.START_LINE;
    private byte[] line = new byte[256];
    private int lineLen;
    private boolean sawCR;
    private int headerBytes;
    private int emptyLines;
    private boolean messageStarted;

    private String requestMethod = "GET"; // responses: the method of the request they answer
    private String method;
    private String target;
    private HttpVersion version;
    private int status;
    private String reason;
    private HttpHeaders headers;
    private HttpHeaders trailers = new HttpHeaders();
    private RequestHead request;
    private ResponseHead response;
    private long remaining;
    private long bodyBytes;
    private ByteBuffer body;
    private HttpException failure;

    private HttpParser(boolean requests, HttpLimits limits) {
        this.requests = requests;
        this.limits = limits;
    }

    /**
     * A parser for the requests a client sends.
     * @param limits the limits to enforce
     * @return the parser
     */
    public static HttpParser forRequests(HttpLimits limits) {
        return new HttpParser(true, limits);
    }

    /**
     * A parser for the responses a server sends.
     * @param limits the limits to enforce
     * @return the parser
     */
    public static HttpParser forResponses(HttpLimits limits) {
        return new HttpParser(false, limits);
    }

    /**
     * Responses only: the method of the request the next response answers; a response to
     * HEAD has no body (RFC 9112 §6.3 ¶1). Set before each response; GET until then.
     * @param method the request's method
     */
    public void expectResponseTo(String method) {
        this.requestMethod = method;
    }

    /** {@return the last request head ({@link Event#HEAD} of a request parser)} */
    public RequestHead request() {
        return request;
    }

    /** {@return the last response head ({@link Event#HEAD} of a response parser)} */
    public ResponseHead response() {
        return response;
    }

    /** {@return the body bytes of the last {@link Event#BODY}: a slice of the input buffer} */
    public ByteBuffer body() {
        return body;
    }

    /** {@return trailer fields of the last chunked message (empty if none), valid after {@link Event#END}} */
    public HttpHeaders trailers() {
        return trailers;
    }

    /** {@return true between messages with no byte of the next one seen yet} */
    public boolean isIdle() {
        return state == State.START_LINE && !messageStarted;
    }

    /**
     * Parses from {@code in}'s position, consuming what it used, until it has one thing to
     * report. Call it again after each event; {@link Event#NEED_MORE} means every byte was
     * consumed.
     * @param in the bytes received
     * @return what was found
     * @throws HttpException when the input breaks the rules, with the status to answer
     */
    public Event next(ByteBuffer in) throws HttpException {
        try {
            return step(in);
        } catch (HttpException e) {
            state = State.FAILED;
            failure = e;
            throw e;
        }
    }

    /**
     * The input has ended (the peer closed). Returns {@link Event#END} when that ends a
     * body delimited by close, {@link Event#NEED_MORE} when it came cleanly between
     * messages, and throws when a message was cut short.
     * @return what the end of input means
     * @throws HttpException when the input ended inside a message
     */
    public Event finish() throws HttpException {
        switch (state) {
            case UNTIL_CLOSE:
                endMessage();
                return Event.END;
            case START_LINE:
                if (!messageStarted) {
                    return Event.NEED_MORE;
                }
                break;
            case FAILED:
                throw failure;
            case UPGRADED:
                return Event.NEED_MORE;
            default:
                break;
        }
        HttpException e = error(400, "connection closed in the middle of a " + (requests ? "request" : "response"));
        state = State.FAILED;
        failure = e;
        throw e;
    }

    private Event step(ByteBuffer in) throws HttpException {
        while (true) {
            switch (state) {
                case FAILED:
                    throw failure;
                case UPGRADED:
                    throw error(502, "the connection switched protocols (101); no more HTTP/1.1 on it");
                case START_LINE: {
                    if (!in.hasRemaining()) {
                        return Event.NEED_MORE;
                    }
                    messageStarted = true;
                    int max = limits.maxStartLine();
                    if (!readLine(in, max, requests ? 414 : 502,
                            (requests ? "request line" : "status line") + " longer than " + max + " bytes")) {
                        return Event.NEED_MORE;
                    }
                    if (lineLen == 0) {
                        // RFC 9112 §2.2: a server SHOULD ignore empty lines before the request line.
                        if (!requests || ++emptyLines > MAX_LEADING_EMPTY_LINES) {
                            throw error(400, "empty line where a " + (requests ? "request" : "status") + " line was expected");
                        }
                        continue;
                    }
                    checkNoControls(requests ? "request line" : "status line");
                    if (requests) {
                        parseRequestLine();
                    } else {
                        parseStatusLine();
                    }
                    headers = new HttpHeaders();
                    trailers = new HttpHeaders();
                    headerBytes = 0;
                    state = State.HEADERS;
                    break;
                }
                case HEADERS: {
                    if (!readHeaderLine(in)) {
                        return Event.NEED_MORE;
                    }
                    if (lineLen > 0) {
                        parseField(headers, "header");
                        continue;
                    }
                    return requests ? requestHeadDone() : responseHeadDone();
                }
                case NO_BODY:
                    endMessage();
                    return Event.END;
                case BODY_LENGTH:
                    if (remaining == 0) {
                        endMessage();
                        return Event.END;
                    }
                    if (!in.hasRemaining()) {
                        return Event.NEED_MORE;
                    }
                    return sliceBody(in);
                case CHUNK_SIZE:
                    if (!readLine(in, HttpLimits.MAX_CHUNK_LINE, 400, "chunk-size line longer than " + HttpLimits.MAX_CHUNK_LINE + " bytes")) {
                        return Event.NEED_MORE;
                    }
                    parseChunkSize();
                    break;
                case CHUNK_DATA:
                    if (remaining == 0) {
                        state = State.CHUNK_DATA_END;
                        continue;
                    }
                    if (!in.hasRemaining()) {
                        return Event.NEED_MORE;
                    }
                    return sliceBody(in);
                case CHUNK_DATA_END:
                    // RFC 9112 §7.1: chunk-data is followed by CRLF, exactly.
                    if (!readLine(in, 0, 400, "chunk data longer than its chunk size (no CRLF after it)")) {
                        return Event.NEED_MORE;
                    }
                    state = State.CHUNK_SIZE;
                    break;
                case TRAILERS:
                    if (!readHeaderLine(in)) {
                        return Event.NEED_MORE;
                    }
                    if (lineLen > 0) {
                        parseField(trailers, "trailer");
                        continue;
                    }
                    endMessage();
                    return Event.END;
                case UNTIL_CLOSE:
                    if (!in.hasRemaining()) {
                        return Event.NEED_MORE;
                    }
                    body = in.slice(in.position(), in.remaining());
                    in.position(in.limit());
                    return Event.BODY;
                default:
                    throw new AssertionError(state);
            }
        }
    }

    private Event sliceBody(ByteBuffer in) {
        int n = (int) Math.min(remaining, in.remaining());
        body = in.slice(in.position(), n);
        in.position(in.position() + n);
        remaining -= n;
        return Event.BODY;
    }

    private void endMessage() {
        state = State.START_LINE;
        messageStarted = false;
        emptyLines = 0;
        lineLen = 0;
    }

    // ------------------------------------------------------------------ lines

    /**
     * Reads up to the next CRLF into {@code line}; true when the line is complete.
     * RFC 9112 §2.2: a bare CR is refused, and so (strictly) is a LF without its CR.
     */
    private boolean readLine(ByteBuffer in, int max, int tooLongStatus, String tooLong) throws HttpException {
        while (in.hasRemaining()) {
            byte b = in.get();
            if (sawCR) {
                sawCR = false;
                if (b != '\n') {
                    throw error(400, "bare CR (not followed by LF)");
                }
                return true;
            }
            if (b == '\r') {
                sawCR = true;
                continue;
            }
            if (b == '\n') {
                throw error(400, "bare LF: lines must end with CRLF");
            }
            if (lineLen >= max) {
                throw error(tooLongStatus, tooLong);
            }
            if (lineLen == line.length) {
                line = Arrays.copyOf(line, Math.min(line.length * 2, Math.max(max, 16)));
            }
            line[lineLen++] = b;
        }
        return false;
    }

    /** A field line of headers or trailers, the whole section bounded by maxHeaderBytes (CRLFs included). */
    private boolean readHeaderLine(ByteBuffer in) throws HttpException {
        int budget = limits.maxHeaderBytes() - headerBytes - 2;
        boolean done = readLine(in, Math.max(0, budget), requests ? 431 : 502,
                "header section larger than " + limits.maxHeaderBytes() + " bytes");
        if (done) {
            headerBytes += lineLen + 2;
            if (headerBytes > limits.maxHeaderBytes()) {
                throw error(requests ? 431 : 502, "header section larger than " + limits.maxHeaderBytes() + " bytes");
            }
        }
        return done;
    }

    /** Consumes the current line: resets it for the next one and returns its text (ISO-8859-1). */
    private String takeLine(int from, int to) {
        return new String(line, from, to - from, StandardCharsets.ISO_8859_1);
    }

    private void checkNoControls(String where) throws HttpException {
        for (int i = 0; i < lineLen; i++) {
            int c = line[i] & 0xFF;
            if ((c < 0x20 && c != '\t') || c == 0x7F) {
                throw error(400, "control character 0x" + Integer.toHexString(c) + " in " + where);
            }
        }
    }

    // ------------------------------------------------------------------ start lines

    /** RFC 9112 §3: method SP request-target SP HTTP-version, single spaces. */
    private void parseRequestLine() throws HttpException {
        int sp1 = indexOf(' ', 0);
        if (sp1 <= 0) {
            throw error(400, "malformed request line");
        }
        for (int i = 0; i < sp1; i++) {
            if (!isTchar(line[i])) {
                throw error(400, "invalid character in method");
            }
        }
        int sp2 = indexOf(' ', sp1 + 1);
        if (sp2 < 0 || sp2 == sp1 + 1) {
            throw error(400, "malformed request line");
        }
        for (int i = sp1 + 1; i < sp2; i++) {
            int c = line[i] & 0xFF;
            if (c <= 0x20 || c >= 0x7F) {
                throw error(400, "invalid character in request-target");
            }
        }
        method = takeLine(0, sp1);
        target = takeLine(sp1 + 1, sp2);
        version = parseVersion(sp2 + 1, lineLen);
        // RFC 9112 §3.2: origin-form, absolute-form, authority-form (CONNECT), asterisk-form (OPTIONS).
        boolean ok = target.startsWith("/")
                || (target.equals("*") && method.equals("OPTIONS"))
                || method.equals("CONNECT")
                || target.regionMatches(true, 0, "http://", 0, 7)
                || target.regionMatches(true, 0, "https://", 0, 8);
        if (!ok) {
            throw error(400, "request-target is neither origin-form nor absolute-form");
        }
        lineLen = 0;
    }

    /** RFC 9112 §4: HTTP-version SP 3DIGIT SP [reason-phrase]. */
    private void parseStatusLine() throws HttpException {
        if (lineLen < 13 || line[8] != ' ' || line[12] != ' ') {
            throw error(502, "malformed status line");
        }
        version = parseVersion(0, 8);
        int code = 0;
        for (int i = 9; i < 12; i++) {
            if (line[i] < '0' || line[i] > '9') {
                throw error(502, "malformed status code");
            }
            code = code * 10 + (line[i] - '0');
        }
        if (code < 100 || code > 599) {
            throw error(502, "status code " + code + " out of range");
        }
        status = code;
        reason = takeLine(13, lineLen);
        lineLen = 0;
    }

    /** RFC 9112 §2.3: "HTTP/" DIGIT "." DIGIT, case-sensitive. */
    private HttpVersion parseVersion(int from, int to) throws HttpException {
        if (to - from != 8 || line[from] != 'H' || line[from + 1] != 'T' || line[from + 2] != 'T' || line[from + 3] != 'P'
                || line[from + 4] != '/' || !isDigit(line[from + 5]) || line[from + 6] != '.' || !isDigit(line[from + 7])) {
            throw error(400, "malformed HTTP version");
        }
        int major = line[from + 5] - '0';
        int minor = line[from + 7] - '0';
        if (major != 1) {
            throw error(505, "HTTP version " + major + "." + minor + " not supported");
        }
        // RFC 9110 §6.2: a higher minor version of HTTP/1 is handled as the highest we know.
        return minor == 0 ? HttpVersion.HTTP_1_0 : HttpVersion.HTTP_1_1;
    }

    // ------------------------------------------------------------------ fields

    /** RFC 9112 §5: field-name ":" OWS field-value OWS. */
    private void parseField(HttpHeaders into, String what) throws HttpException {
        if (line[0] == ' ' || line[0] == '\t') {
            throw error(400, "obs-fold (" + what + " line starting with whitespace) is not accepted");
        }
        if (into.size() >= limits.maxHeaderCount()) {
            throw error(requests ? 431 : 502, "more than " + limits.maxHeaderCount() + " " + what + " fields");
        }
        int colon = -1;
        for (int i = 0; i < lineLen; i++) {
            byte b = line[i];
            if (b == ':') {
                colon = i;
                break;
            }
            if (b == ' ' || b == '\t') {
                throw error(400, "whitespace between " + what + " field name and colon");
            }
            if (!isTchar(b)) {
                throw error(400, "invalid character 0x" + Integer.toHexString(b & 0xFF) + " in " + what + " field name");
            }
        }
        if (colon < 0) {
            throw error(400, what + " line without a colon");
        }
        if (colon == 0) {
            throw error(400, "empty " + what + " field name");
        }
        int from = colon + 1;
        int to = lineLen;
        for (int i = from; i < to; i++) {
            int c = line[i] & 0xFF;
            if ((c < 0x20 && c != '\t') || c == 0x7F) {
                throw error(400, "control character 0x" + Integer.toHexString(c) + " in " + what + " field value");
            }
        }
        while (from < to && (line[from] == ' ' || line[from] == '\t')) {
            from++;
        }
        while (to > from && (line[to - 1] == ' ' || line[to - 1] == '\t')) {
            to--;
        }
        String name = takeLine(0, colon);
        if (name.equalsIgnoreCase("content_length") || name.equalsIgnoreCase("transfer_encoding")) {
            throw error(400, "field name " + name + " (underscore look-alike of a framing field)");
        }
        into.add(name, takeLine(from, to));
        lineLen = 0;
    }

    // ------------------------------------------------------------------ framing

    private Event requestHeadDone() throws HttpException {
        int hosts = headers.count("host");
        if (hosts > 1) {
            throw error(400, "more than one Host field");
        }
        if (hosts == 0 && version == HttpVersion.HTTP_1_1) {
            throw error(400, "HTTP/1.1 request without Host");
        }
        BodyFraming framing;
        long length = 0;
        boolean te = headers.contains("transfer-encoding");
        boolean cl = headers.contains("content-length");
        if (te) {
            if (cl) {
                throw error(400, "both Content-Length and Transfer-Encoding (refused: request smuggling)");
            }
            if (version == HttpVersion.HTTP_1_0) {
                throw error(400, "Transfer-Encoding in an HTTP/1.0 request");
            }
            checkChunkedOnly(501);
            framing = BodyFraming.CHUNKED;
            length = -1;
        } else if (cl) {
            length = contentLength();
            framing = BodyFraming.CONTENT_LENGTH;
        } else {
            framing = BodyFraming.NONE;
        }
        if (length > limits.maxBodyBytes()) {
            throw error(413, "body of " + length + " bytes is larger than " + limits.maxBodyBytes());
        }
        List<String> connection = headers.tokens("connection");
        boolean keepAlive = version == HttpVersion.HTTP_1_1
                ? !connection.contains("close")
                : connection.contains("keep-alive") && !connection.contains("close");
        boolean expect100 = false;
        String expect = headers.get("expect");
        if (expect != null) {
            if (!expect.trim().equalsIgnoreCase("100-continue") || headers.count("expect") > 1) {
                throw error(417, "unsupported expectation: " + expect);
            }
            // RFC 9110 §10.1.1: a server MUST ignore a 100-continue expectation in an HTTP/1.0 request.
            expect100 = version == HttpVersion.HTTP_1_1;
        }
        request = new RequestHead(method, target, version, headers, framing, length, keepAlive, expect100);
        startBody(framing, length);
        return Event.HEAD;
    }

    private Event responseHeadDone() throws HttpException {
        boolean te = headers.contains("transfer-encoding");
        boolean cl = headers.contains("content-length");
        if (te && cl) {
            throw error(502, "response with both Content-Length and Transfer-Encoding");
        }
        BodyFraming framing;
        long length = 0;
        // RFC 9112 §6.3 ¶1-2: these never have a body, whatever the fields say.
        if (status < 200 || status == 204 || status == 304 || requestMethod.equals("HEAD")) {
            framing = BodyFraming.NONE;
        } else if (te) {
            if (version == HttpVersion.HTTP_1_0) {
                throw error(502, "Transfer-Encoding in an HTTP/1.0 response");
            }
            checkChunkedOnly(502);
            framing = BodyFraming.CHUNKED;
            length = -1;
        } else if (cl) {
            length = contentLength();
            framing = BodyFraming.CONTENT_LENGTH;
        } else {
            framing = BodyFraming.UNTIL_CLOSE;
            length = -1;
        }
        if (length > limits.maxBodyBytes()) {
            throw error(502, "response body of " + length + " bytes is larger than " + limits.maxBodyBytes());
        }
        List<String> connection = headers.tokens("connection");
        boolean keepAlive = framing != BodyFraming.UNTIL_CLOSE && (version == HttpVersion.HTTP_1_1
                ? !connection.contains("close")
                : connection.contains("keep-alive") && !connection.contains("close"));
        response = new ResponseHead(version, status, reason, headers, framing, length, keepAlive);
        if (status == 101) {
            state = State.UPGRADED;
        } else if (status < 200) {
            endMessage(); // interim: the final response follows (RFC 9110 §15.2)
            messageStarted = true;
        } else {
            startBody(framing, length);
        }
        return Event.HEAD;
    }

    private void startBody(BodyFraming framing, long length) {
        bodyBytes = 0;
        switch (framing) {
            case NONE:
                state = State.NO_BODY;
                break;
            case CONTENT_LENGTH:
                remaining = length;
                state = State.BODY_LENGTH;
                break;
            case CHUNKED:
                state = State.CHUNK_SIZE;
                break;
            case UNTIL_CLOSE:
                state = State.UNTIL_CLOSE;
                break;
            default:
                throw new AssertionError(framing);
        }
    }

    /** Transfer-Encoding must be exactly one chunked coding (see the class comment). */
    private void checkChunkedOnly(int status) throws HttpException {
        List<String> codings = headers.tokens("transfer-encoding");
        if (!codings.equals(List.of("chunked"))) {
            throw error(status, "Transfer-Encoding '" + String.join(", ", headers.getAll("transfer-encoding"))
                    + "' not supported: only a single chunked coding is");
        }
    }

    /** RFC 9110 §8.6: Content-Length = 1*DIGIT; repeated identical values are one. */
    private long contentLength() throws HttpException {
        long value = -1;
        for (String field : headers.getAll("content-length")) {
            for (String part : field.split(",", -1)) {
                String v = part.trim();
                if (v.isEmpty() || v.length() > 18) {
                    throw error(400, "invalid Content-Length '" + field + "'");
                }
                long n = 0;
                for (int i = 0; i < v.length(); i++) {
                    char c = v.charAt(i);
                    if (c < '0' || c > '9') {
                        throw error(400, "invalid Content-Length '" + field + "'");
                    }
                    n = n * 10 + (c - '0');
                }
                if (value >= 0 && n != value) {
                    throw error(400, "differing Content-Length values (refused: request smuggling)");
                }
                value = n;
            }
        }
        return value;
    }

    /** RFC 9112 §7.1: chunk-size [ chunk-ext ] CRLF, chunk-size = 1*HEXDIG. */
    private void parseChunkSize() throws HttpException {
        long size = 0;
        int i = 0;
        for (; i < lineLen; i++) {
            int d = Character.digit(line[i], 16);
            if (d < 0) {
                break;
            }
            if (size > (Long.MAX_VALUE >> 4)) {
                throw error(400, "chunk size too large");
            }
            size = (size << 4) | d;
        }
        if (i == 0) {
            throw error(400, "invalid chunk size");
        }
        // chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ): ignored, but well-formed.
        int j = i;
        while (j < lineLen && (line[j] == ' ' || line[j] == '\t')) {
            j++;
        }
        if (j < lineLen && line[j] != ';') {
            throw error(400, "invalid chunk size");
        }
        if (j == lineLen && j != i) {
            throw error(400, "whitespace after chunk size");
        }
        for (int k = j; k < lineLen; k++) {
            int c = line[k] & 0xFF;
            if ((c < 0x20 && c != '\t') || c == 0x7F) {
                throw error(400, "control character in chunk extension");
            }
        }
        lineLen = 0;
        if (size == 0) {
            state = State.TRAILERS;
            return;
        }
        bodyBytes += size;
        if (bodyBytes > limits.maxBodyBytes() || bodyBytes < 0) {
            throw error(requests ? 413 : 502, "chunked body larger than " + limits.maxBodyBytes() + " bytes");
        }
        remaining = size;
        state = State.CHUNK_DATA;
    }

    // ------------------------------------------------------------------ helpers

    private int indexOf(char c, int from) {
        for (int i = from; i < lineLen; i++) {
            if (line[i] == c) {
                return i;
            }
        }
        return -1;
    }

    private static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }

    /** RFC 9110 §5.6.2: tchar. */
    static boolean isTchar(byte b) {
        if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')) {
            return true;
        }
        switch (b) {
            case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
            case '-': case '.': case '^': case '_': case '`': case '|': case '~':
                return true;
            default:
                return false;
        }
    }

    /** Responses: every failure is the gateway's 502. */
    private HttpException error(int status, String message) {
        return new HttpException(requests ? status : 502, message);
    }

    @Override
    public String toString() {
        return (requests ? "request" : "response") + " parser in " + state.name().toLowerCase(Locale.ROOT);
    }
}
