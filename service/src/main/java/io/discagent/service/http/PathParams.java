package io.discagent.service.http;

import io.discagent.api.error.InvalidArgumentException;
import io.discagent.api.RecorderId;
import io.vertx.ext.web.RoutingContext;

/** Checked path parameters. */
final class PathParams {

    /** The longest id accepted in a path; longer ones cannot name anything. */
    static final int MAX_ID_LENGTH = 256;

    private PathParams() {
    }

    /** The {@code rid} path parameter. */
    static RecorderId recorder(RoutingContext rc) {
        return RecorderId.of(id(rc, "rid"));
    }

    /** A non-blank id path parameter of reasonable length. */
    static String id(RoutingContext rc, String name) {
        String value = rc.pathParam(name);
        if (value == null || value.isBlank()) {
            throw new InvalidArgumentException("the " + name + " path parameter is empty");
        }
        if (value.length() > MAX_ID_LENGTH) {
            throw new InvalidArgumentException("the " + name + " path parameter is longer than " + MAX_ID_LENGTH);
        }
        return value;
    }
}
