package io.discagent.service.http;

import io.discagent.service.problem.ServiceProblem;
import io.discagent.api.error.InvalidArgumentException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A strict reader of a JSON request body: the body must be one JSON object of known fields, each of the right type
 * and range. Anything else is a {@code 400} ({@link ApiError#badRequest}), raised before any state changes.
 */
public final class RequestBody {

    private final JsonObject json;

    private RequestBody(JsonObject json) {
        this.json = json;
    }

    /**
     * Reads the body of {@code rc}.
     *
     * @param fields the fields the endpoint knows; any other field is refused
     * @param required whether an empty body is refused
     * @throws ApiError 415 when a body is not {@code application/json}, 400 when it is not a JSON object of
     *     known fields
     */
    public static RequestBody read(RoutingContext rc, Set<String> fields, boolean required) {
        Buffer buffer = rc.body() == null ? null : rc.body().buffer();
        if (buffer == null || buffer.length() == 0) {
            if (required) {
                throw new InvalidArgumentException("a JSON object body is required");
            }
            return new RequestBody(new JsonObject());
        }
        String contentType = rc.request().getHeader("Content-Type");
        if (contentType == null || !contentType.trim().toLowerCase(java.util.Locale.ROOT).matches(
                "application/json\\s*(;.*)?")) {
            throw ServiceProblem.unsupportedMediaType(contentType);
        }
        Object value;
        try {
            value = Json.decodeValue(buffer);
        } catch (DecodeException e) {
            throw new InvalidArgumentException("the body is not valid JSON");
        }
        if (!(value instanceof JsonObject)) {
            throw new InvalidArgumentException("the body must be a JSON object");
        }
        JsonObject object = (JsonObject) value;
        for (String name : object.fieldNames()) {
            if (!fields.contains(name)) {
                throw new InvalidArgumentException("unknown field '" + ServiceProblem.shorten(name) + "'; known fields: "
                        + String.join(", ", new java.util.TreeSet<>(fields)));
            }
        }
        return new RequestBody(object);
    }

    /** Whether the field is present (and not {@code null}). */
    public boolean has(String name) {
        return json.getValue(name) != null;
    }

    /** The raw value of a field, or {@code null}. */
    public @Nullable Object raw(String name) {
        return json.getValue(name);
    }

    /** A string field that must be present. */
    public String requiredString(String name) {
        String value = optionalString(name);
        if (value == null) {
            throw new InvalidArgumentException("'" + name + "' is required");
        }
        return value;
    }

    /** A string field, or {@code null} when absent. */
    public @Nullable String optionalString(String name) {
        Object value = json.getValue(name);
        if (value == null) {
            return null;
        }
        if (!(value instanceof String)) {
            throw new InvalidArgumentException("'" + name + "' must be a string");
        }
        return (String) value;
    }

    /** A boolean field, or {@code fallback} when absent. */
    public boolean optionalBoolean(String name, boolean fallback) {
        Object value = json.getValue(name);
        if (value == null) {
            return fallback;
        }
        if (!(value instanceof Boolean)) {
            throw new InvalidArgumentException("'" + name + "' must be true or false");
        }
        return (Boolean) value;
    }

    /** An integer field within {@code [min, max]}, or {@code fallback} when absent. */
    public long optionalLong(String name, long fallback, long min, long max) {
        Object value = json.getValue(name);
        if (value == null) {
            return fallback;
        }
        return integer(name, value, min, max);
    }

    /** An integer field within {@code [min, max]} that must be present. */
    public long requiredLong(String name, long min, long max) {
        Object value = json.getValue(name);
        if (value == null) {
            throw new InvalidArgumentException("'" + name + "' is required");
        }
        return integer(name, value, min, max);
    }

    /** A number field within {@code [min, max]}, or {@code fallback} when absent. */
    public double optionalDouble(String name, double fallback, double min, double max) {
        Object value = json.getValue(name);
        if (value == null) {
            return fallback;
        }
        if (!(value instanceof Number)) {
            throw new InvalidArgumentException("'" + name + "' must be a number");
        }
        double d = ((Number) value).doubleValue();
        if (!(d >= min && d <= max)) {
            throw new InvalidArgumentException("'" + name + "' must be between " + min + " and " + max);
        }
        return d;
    }

    /** A nested object, or {@code null} when absent. */
    public @Nullable RequestBody optionalObject(String name, Set<String> fields) {
        Object value = json.getValue(name);
        if (value == null) {
            return null;
        }
        if (!(value instanceof JsonObject)) {
            throw new InvalidArgumentException("'" + name + "' must be an object");
        }
        JsonObject object = (JsonObject) value;
        for (String field : object.fieldNames()) {
            if (!fields.contains(field)) {
                throw new InvalidArgumentException("unknown field '" + ServiceProblem.shorten(field) + "' in '" + name + "'");
            }
        }
        return new RequestBody(object);
    }

    static long integer(String name, Object value, long min, long max) {
        BigInteger integer;
        if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
            integer = BigInteger.valueOf(((Number) value).longValue());
        } else if (value instanceof BigInteger) {
            integer = (BigInteger) value;
        } else if (value instanceof BigDecimal || value instanceof Double || value instanceof Float) {
            BigDecimal decimal = value instanceof BigDecimal ? (BigDecimal) value
                    : BigDecimal.valueOf(((Number) value).doubleValue());
            try {
                integer = decimal.toBigIntegerExact();
            } catch (ArithmeticException e) {
                throw new InvalidArgumentException("'" + name + "' must be a whole number");
            }
        } else {
            throw new InvalidArgumentException("'" + name + "' must be a whole number");
        }
        if (integer.compareTo(BigInteger.valueOf(min)) < 0 || integer.compareTo(BigInteger.valueOf(max)) > 0) {
            throw new InvalidArgumentException("'" + name + "' must be between " + min + " and " + max);
        }
        return integer.longValueExact();
    }
}
