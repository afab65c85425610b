package io.discagent.service.http;

import io.discagent.api.error.InvalidArgumentException;
import io.discagent.service.problem.ServiceProblem;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.math.BigDecimal;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * A request body that passed its endpoint's schema ({@link RequestSchemas}): one JSON object of known fields, each of
 * the right type and range. The {@link #validation} handler reads and checks it before the endpoint's handler runs and
 * before any state changes; the handler then reads typed values, defaults filled in.
 */
final class RequestBody {

    private static final String KEY = RequestBody.class.getName();

    private final String schema;
    private final JsonObject json;

    private RequestBody(String schema, JsonObject json) {
        this.schema = schema;
        this.json = json;
    }

    /**
     * The handler that reads the body of {@code endpoint} and checks it against the endpoint's schema: {@code 415}
     * when a body is not {@code application/json}, {@code 400} when it is not a JSON object that the schema accepts
     * (or an empty body where one is required).
     */
    static Handler<RoutingContext> validation(RequestSchemas schemas, Endpoint endpoint) {
        String schema = endpoint.requestSchema();
        if (schema == null) {
            throw new IllegalArgumentException(endpoint.operationId() + " takes no body");
        }
        schemas.schema(schema); // fails at start for an unknown schema
        return rc -> {
            JsonObject json = parse(rc, endpoint.requestRequired());
            schemas.validate(schema, json);
            rc.put(KEY, new RequestBody(schema, json));
            rc.next();
        };
    }

    /** The checked body of the request. */
    static RequestBody of(RoutingContext rc) {
        RequestBody body = rc.get(KEY);
        if (body == null) {
            throw new IllegalStateException("the endpoint declares no body schema");
        }
        return body;
    }

    private static JsonObject parse(RoutingContext rc, boolean required) {
        Buffer buffer = rc.body() == null ? null : rc.body().buffer();
        if (buffer == null || buffer.length() == 0) {
            if (required) {
                throw new InvalidArgumentException("a JSON object body is required");
            }
            return new JsonObject();
        }
        String contentType = rc.request().getHeader("Content-Type");
        if (contentType == null || !contentType.trim().toLowerCase(Locale.ROOT).matches("application/json\\s*(;.*)?")) {
            throw ServiceProblem.unsupportedMediaType(contentType);
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
