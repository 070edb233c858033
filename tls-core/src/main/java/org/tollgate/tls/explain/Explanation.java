package org.tollgate.tls.explain;

import java.util.ArrayList;
import java.util.List;

/**
 * What an explainer has said about one connection so far, as data: the numbered steps in
 * the order they happened, each with its lines of text and the messages (with their bytes
 * and fields) that belong to it. {@link HandshakeExplainer} prints it as text while it
 * grows; {@link HtmlPage} renders it as a page.
 */
public final class Explanation {

    /** One thing said inside a step. */
    public sealed interface Item permits Line, Message {
    }

    /**
     * A sentence or a {@code name: value} line.
     * @param text the line
     */
    public record Line(String text) implements Item {
    }

    /**
     * A handshake message with its bytes and their fields.
     * @param outbound true when this side sent it
     * @param name the message's name, e.g. {@code ClientHello}
     * @param bytes the message as it went over the wire (handshake header included)
     * @param fields the annotated fields of those bytes
     * @param rfc where the RFC defines the message
     */
    public record Message(boolean outbound, String name, byte[] bytes, Field fields, String rfc) implements Item {
    }

    /**
     * A step of the classic story, e.g. step 1 "ClientHello".
     *
     * @param number the step of the six-step story (0 for the connection's heading)
     * @param title  what happens in it
     * @param rfc    where the RFC says so, e.g. {@code RFC 8446 §4.1.2}
     * @param items  what is said in the step, in order
     */
    public record Step(int number, String title, String rfc, List<Item> items) {
    }

    private final String heading;
    private final List<Step> steps = new ArrayList<>();

    Explanation(String heading) {
        this.heading = heading;
    }

    /** {@return one line describing the connection, e.g. "client connection to localhost"} */
    public String heading() {
        return heading;
    }

    /** {@return the steps so far, in the order they happened (a step number may come back)} */
    public List<Step> steps() {
        List<Step> copy = new ArrayList<>();
        for (Step s : steps) {
            copy.add(new Step(s.number(), s.title(), s.rfc(), List.copyOf(s.items())));
        }
        return copy;
    }

    Step begin(int number, String title, String rfc) {
        Step s = new Step(number, title, rfc, new ArrayList<>());
        steps.add(s);
        return s;
    }
}
