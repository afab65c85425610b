package io.discagent.service.http;

import io.discagent.api.error.InvalidArgumentException;
import io.discagent.service.problem.ServiceProblem;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.math.BigDecimal;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A request body that passed its endpoint's schema ({@link RequestSchemas}): one JSON object of known fields, each of
 * the right type and range. The {@link #validation} handler reads and checks it before the endpoint's handler runs and
 * before any state changes; the handler then reads typed values, defaults filled in.
 *
 * <p>Every write needs {@code Content-Type: application/json}, even one without a body (a heartbeat, a delete): a
 * web page cannot send that type cross-site without a CORS preflight, which this service never grants, so no write
 * can be a "simple" cross-site request. Nothing else is decoded: a form or multipart body is refused before a byte
 * of it is read.
 */
final class RequestBody {

    private static final String KEY = RequestBody.class.getName();
    private static final Pattern JSON = Pattern.compile("\\s*application/json\\s*(;.*)?", Pattern.CASE_INSENSITIVE);

    private final String schema;
    private final JsonObject json;

    private RequestBody(String schema, JsonObject json) {
        this.schema = schema;
        this.json = json;
    }

    /**
     * The handler that reads the body of {@code endpoint} and checks it against the endpoint's schema: {@code 415}
     * unless the request says {@code application/json}, {@code 413} for a body over {@code maxBytes}, {@code 400}
     * when the body is malformed on the wire or is not a JSON object that the schema accepts (or is empty where one
     * is required). A request refused before its body ended has its connection closed (its rest cannot be read as
     * the next request), after up to 1 MiB or 2 s of the rest were read and dropped so that the client reads the
     * answer instead of a reset.
     */
    static Handler<RoutingContext> validation(RequestSchemas schemas, Endpoint endpoint, int maxBytes) {
        String schema = endpoint.requestSchema();
        if (schema == null) {
            throw new IllegalArgumentException(endpoint.operationId() + " takes no body");
        }
        schemas.schema(schema); // fails at start for an unknown schema
        return rc -> read(rc, maxBytes, body -> {
            JsonObject json = parse(body, endpoint.requestRequired());
            schemas.validate(schema, json);
            rc.put(KEY, new RequestBody(schema, json));
            rc.next();
        });
    }

    /** The most a refused request may still send before its connection is closed. */
    static final long LINGER_BYTES = 1 << 20;
    /** How long a refused request may still send before its connection is closed. */
    static final long LINGER_MILLIS = 2000;

    /** The checked body of the request. */
    static RequestBody of(RoutingContext rc) {
        RequestBody body = rc.get(KEY);
        if (body == null) {
            throw new IllegalStateException("the endpoint declares no body schema");
        }
        return body;
    }

    /** Reads the whole body (at most {@code maxBytes}) of a JSON request, then runs {@code then} with it. */
    private static void read(RoutingContext rc, int maxBytes, Consumer<Buffer> then) {
        HttpServerRequest request = rc.request();
        String contentType = request.getHeader("Content-Type");
        if (contentType == null || !JSON.matcher(contentType).matches()) {
            refuse(rc, ServiceProblem.unsupportedMediaType(contentType));
            return;
        }
        String length = request.getHeader("Content-Length");
        if (length != null && parsedLength(length) > maxBytes) {
            refuse(rc, ServiceProblem.tooLarge(maxBytes));
            return;
        }
        if (request.isEnded()) {
            then.accept(Buffer.buffer());
            return;
        }
        Buffer body = Buffer.buffer();
        boolean[] refused = new boolean[1];
        request.handler(chunk -> {
            if (refused[0]) {
                return;
            }
            if (body.length() + chunk.length() > maxBytes) {
                refused[0] = true;
                refuse(rc, ServiceProblem.tooLarge(maxBytes));
                return;
            }
            body.appendBuffer(chunk);
        });
        request.exceptionHandler(error -> {
            if (!refused[0]) {
                refused[0] = true;
                refuse(rc, new InvalidArgumentException("the request body is malformed: "
                        + ServiceProblem.shorten(String.valueOf(error.getMessage()))));
            }
        });
        request.endHandler(v -> {
            if (!refused[0]) {
                try {
                    then.accept(body);
                } catch (RuntimeException e) {
                    rc.fail(e);
                }
            }
        });
        request.resume();
    }

    private static long parsedLength(String length) {
        try {
            return Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE; // beyond a long: beyond any limit
        }
    }

    /** Answers with {@code problem} and closes the connection once the answer is out. */
    private static void refuse(RoutingContext rc, RuntimeException problem) {
        rc.response().putHeader("Connection", "close").endHandler(v -> dropRestThenClose(rc));
        rc.fail(problem);
    }

    /**
     * Closes the connection of a refused request once the client has sent what it was sending, reading and dropping
     * at most {@link #LINGER_BYTES} for at most {@link #LINGER_MILLIS}: closing a socket with unread data resets the
     * connection, and the client could lose the answer it has not read yet.
     */
    private static void dropRestThenClose(RoutingContext rc) {
        HttpServerRequest request = rc.request();
        HttpConnection connection = request.connection();
        if (request.isEnded()) {
            connection.close();
            return;
        }
        long timer = rc.vertx().setTimer(LINGER_MILLIS, id -> connection.close());
        long[] dropped = new long[1];
        Runnable close = () -> {
            rc.vertx().cancelTimer(timer);
            connection.close();
        };
        request.handler(chunk -> {
            dropped[0] += chunk.length();
            if (dropped[0] > LINGER_BYTES) {
                close.run();
            }
        });
        request.exceptionHandler(error -> close.run());
        request.endHandler(v -> close.run());
        request.resume();
    }

    private static JsonObject parse(Buffer buffer, boolean required) {
        if (buffer.length() == 0) {
            if (required) {
                throw new InvalidArgumentException("a JSON object body is required");
            }
            return new JsonObject();
        }
        Object value;
        try {
            value = Json.decodeValue(buffer);
        } catch (DecodeException e) {
            throw new InvalidArgumentException("the body is not valid JSON");
        }
        if (value instanceof JsonObject object) {
            return object;
        }
        throw new InvalidArgumentException("the body must be a JSON object");
    }

    /** Whether the field is present (and not {@code null}). */
    boolean has(String name) {
        return json.getValue(name) != null;
    }

    /** The value of a field, or {@code null}. */
    @Nullable Object raw(String name) {
        return json.getValue(name);
    }

    /** A string field, or {@code null} when absent. */
    @Nullable String string(String name) {
        return typed(name, String.class);
    }

    /** A string field the schema requires. */
    String requiredString(String name) {
        String value = string(name);
        if (value == null) {
            throw new IllegalStateException(schema + " does not require '" + name + "'");
        }
        return value;
    }

    boolean bool(String name, boolean fallback) {
        Boolean value = typed(name, Boolean.class);
        return value == null ? fallback : value;
    }

    /** An integer field (the schema bounds every integer within {@code long}), or {@code fallback}. */
    long integer(String name, long fallback) {
        Number value = typed(name, Number.class);
        return value == null ? fallback : new BigDecimal(value.toString()).longValueExact();
    }

    double number(String name, double fallback) {
        Number value = typed(name, Number.class);
        return value == null ? fallback : value.doubleValue();
    }

    /** A nested object, or {@code null} when absent. */
    @Nullable RequestBody object(String name) {
        JsonObject value = typed(name, JsonObject.class);
        return value == null ? null : new RequestBody(schema + "." + name, value);
    }

    private <T> @Nullable T typed(String name, Class<T> type) {
        Object value = json.getValue(name);
        if (value == null) {
            return null;
        }
        if (!type.isInstance(value)) { // the handler reads a field its schema does not type so
            throw new IllegalStateException(schema + " lets '" + name + "' be " + value.getClass().getSimpleName());
        }
        return type.cast(value);
    }
}
