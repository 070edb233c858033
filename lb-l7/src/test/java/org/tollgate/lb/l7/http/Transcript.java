package org.tollgate.lb.l7.http;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Drives a parser over input cut into pieces, the way a connection would (leftover bytes
 * stay in the buffer, new ones are appended), and writes down what it reported: heads,
 * body bytes (joined), trailers, ends, or the error status. Two runs over the same bytes
 * must give the same transcript however the bytes were cut.
 */
final class Transcript {
    private Transcript() {
    }

    static String requests(String input, int... cuts) {
        return run(HttpParser.forRequests(TEST_LIMITS), bytes(input), null, cuts);
    }

    static String responses(String input, String method, int... cuts) {
        return run(HttpParser.forResponses(HttpLimits.RESPONSE_DEFAULTS), bytes(input), method, cuts);
    }

    /** Small limits so the limit cases stay small: 64-byte request line, 256-byte header section, 8 fields, 64-byte body. */
    static final HttpLimits TEST_LIMITS = new HttpLimits(64, 256, 8, 64);

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Feeds {@code input} in pieces ending at {@code cuts} (ascending offsets), then the rest, then EOF. */
    static String run(HttpParser parser, byte[] input, String method, int... cuts) {
        StringBuilder out = new StringBuilder();
        ByteArrayOutputStream bodyBytes = new ByteArrayOutputStream();
        ByteBuffer buffer = ByteBuffer.allocate(input.length + 1);
        buffer.flip();
        if (method != null) {
            parser.expectResponseTo(method);
        }
        int from = 0;
        try {
            for (int i = 0; i <= cuts.length; i++) {
                int to = i < cuts.length ? cuts[i] : input.length;
                buffer.compact();
                buffer.put(input, from, to - from);
                buffer.flip();
                from = to;
                drain(parser, buffer, out, bodyBytes);
            }
            if (parser.finish() == HttpParser.Event.END) {
                flushBody(out, bodyBytes);
                out.append("END(eof)\n");
            }
        } catch (HttpException e) {
            flushBody(out, bodyBytes);
            out.append("ERROR ").append(e.status()).append('\n');
        }
        return out.toString();
    }

    private static void drain(HttpParser parser, ByteBuffer buffer, StringBuilder out, ByteArrayOutputStream body) throws HttpException {
        while (true) {
            HttpParser.Event e = parser.next(buffer);
            switch (e) {
                case NEED_MORE:
                    return;
                case HEAD:
                    flushBody(out, body);
                    out.append("HEAD ").append(parser.request() != null ? parser.request() : parser.response()).append('\n');
                    break;
                case BODY:
                    ByteBuffer b = parser.body();
                    byte[] chunk = new byte[b.remaining()];
                    b.get(chunk);
                    body.write(chunk, 0, chunk.length);
                    break;
                case END:
                    flushBody(out, body);
                    if (parser.trailers().size() > 0) {
                        out.append("TRAILERS ").append(parser.trailers());
                    }
                    out.append("END\n");
                    break;
                default:
                    throw new AssertionError(e);
            }
        }
    }

    private static void flushBody(StringBuilder out, ByteArrayOutputStream body) {
        if (body.size() > 0) {
            out.append("BODY ").append(body.toString(StandardCharsets.ISO_8859_1)).append('\n');
            body.reset();
        }
    }
}
