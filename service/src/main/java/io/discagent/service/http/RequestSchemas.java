package io.discagent.service.http;

import io.discagent.api.ClientNames;
import io.discagent.api.error.InvalidArgumentException;
import io.discagent.api.error.InvalidClientNameException;
import io.discagent.api.error.RecorderExceptions;
import io.discagent.service.ServiceConfig;
import io.discagent.service.problem.ServiceProblem;
import io.discagent.agent.backend.simulated.Simulator;
import io.discagent.api.LockState;
import io.discagent.api.event.LockTransition;
import io.discagent.api.event.MediaChangedEvent.MediaState;
import io.discagent.service.events.EventJson;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * The schemas of the API ({@code openapi-components.json}) with the limits of this service's configuration filled in,
 * and the validation of request bodies against them: the OpenAPI document publishes exactly the schemas that requests
 * are checked with (vertx-json-schema), so the two cannot disagree.
 *
 * <p>A body that breaks its schema is a {@link InvalidArgumentException} ({@code 400}), except where the property's
 * schema names an HRESULT with the extension keyword {@value #HRESULT_KEYWORD}: a value of the right type that breaks
 * that property's rules fails with that HRESULT (the client name: {@code E_IMAPI_RECORDER_CLIENT_NAME_IS_NOT_VALID}).
 * What a schema cannot say (one field against another) the handlers check.
 */
final class RequestSchemas {

    /** The extension keyword naming the HRESULT of a property's rule. */
    static final String HRESULT_KEYWORD = "x-hresult";

    private static final String BASE_URI = "https://discagent.invalid/openapi.json";
    private static final Set<String> WRAPPERS = Set.of("properties", "additionalProperties", "oneOf", "anyOf",
            "allOf", "items");

    private final JsonObject components;
    private final Map<String, Validator> validators = new HashMap<>();

    private RequestSchemas(JsonObject components) {
        this.components = components;
    }

    /** The schemas with {@code config}'s limits (longest wait, lease bounds) and the IMAPI2 client-name rule. */
    static RequestSchemas of(ServiceConfig config) {
        JsonObject components = read();
        JsonObject schemas = components.getJsonObject("schemas");
        property(schemas, "AcquireRequest", "waitMillis").put("maximum", config.maxWait().toMillis());
        property(schemas, "AcquireAnyRequest", "waitMillis").put("maximum", config.maxWait().toMillis());
        property(schemas, "SessionRequest", "ttlMillis")
                .put("minimum", config.minSessionTtl().toMillis())
                .put("maximum", config.maxSessionTtl().toMillis());
        property(schemas, "SessionRequest", "clientName")
                .put("pattern", ClientNames.PATTERN)
                .put(HRESULT_KEYWORD, RecorderExceptions.defaultCode(InvalidClientNameException.class).hex());
        property(schemas, "SimFault", "operation").put("enum", names(Simulator.Operation.class));
        property(schemas, "SimMedia", "state").put("enum", names(MediaState.class));
        JsonArray lockStates = new JsonArray();
        for (LockState.Status status : LockState.Status.values()) {
            lockStates.add(EventJson.stateName(status));
        }
        property(schemas, "LockState", "state").put("enum", lockStates);
        property(schemas, "Event", "cause").put("enum", names(LockTransition.Cause.class));
        return new RequestSchemas(components);
    }

    private static JsonArray names(Class<? extends Enum<?>> type) {
        JsonArray names = new JsonArray();
        for (Enum<?> constant : type.getEnumConstants()) {
            names.add(constant.name());
        }
        return names;
    }

    /** The {@code components} object of the OpenAPI document (a copy). */
    JsonObject components() {
        return components.copy();
    }

    /** The schema named {@code name} under {@code components.schemas}. */
    JsonObject schema(String name) {
        JsonObject schema = components.getJsonObject("schemas").getJsonObject(name);
        if (schema == null) {
            throw new IllegalArgumentException("no schema " + name);
        }
        return schema;
    }

    /**
     * Checks {@code body} against the schema {@code name}.
     *
     * @throws InvalidArgumentException (or the exception of the property's {@value #HRESULT_KEYWORD}) naming the
     *     field and what is wrong with it
     */
    void validate(String name, JsonObject body) {
        OutputUnit result = validators.computeIfAbsent(name, this::validator).validate(body);
        if (Boolean.TRUE.equals(result.getValid())) {
            return;
        }
        List<OutputUnit> errors = result.getErrors() == null ? List.of() : result.getErrors();
        String location = deepest(errors);
        List<String> reasons = new ArrayList<>();
        for (OutputUnit error : errors) {
            if (location.equals(error.getInstanceLocation()) && !WRAPPERS.contains(keyword(error))) {
                reasons.add(error.getError());
            }
        }
        if (reasons.isEmpty()) { // only wrappers failed there: a field the schema does not know
            throw new InvalidArgumentException("unknown field " + field(location) + "; known fields: "
                    + known(schema(name), location));
        }
        String message = (location.equals("#") ? "the body" : field(location)) + ": "
                + reasons.stream().distinct().collect(Collectors.joining(", or "));
        @Nullable String hresult = hresultOf(schema(name), location, body);
        if (hresult != null) {
            throw RecorderExceptions.create(Integer.parseUnsignedInt(hresult.substring(2), 16), message, null);
        }
        throw new InvalidArgumentException(message);
    }

    private Validator validator(String name) {
        return Validator.create(JsonSchema.of(schema(name).copy()), new JsonSchemaOptions()
                .setDraft(Draft.DRAFT7)
                .setBaseUri(BASE_URI)
                .setOutputFormat(OutputFormat.Basic));
    }

    private static String deepest(List<OutputUnit> errors) {
        String deepest = "#";
        for (OutputUnit error : errors) {
            String location = error.getInstanceLocation() == null ? "#" : error.getInstanceLocation();
            if (location.length() > deepest.length()) {
                deepest = location;
            }
        }
        return deepest;
    }

    private static String keyword(OutputUnit error) {
        String location = error.getKeywordLocation() == null ? "" : error.getKeywordLocation();
        return location.substring(location.lastIndexOf('/') + 1);
    }

    /** {@code #/retry/maxAttempts} as {@code 'retry.maxAttempts'}. */
    private static String field(String location) {
        return "'" + ServiceProblem.shorten(location.replaceFirst("^#/?", "").replace('/', '.')) + "'";
    }

    private static String known(JsonObject schema, String location) {
        JsonObject parent = schemaAt(schema, location.substring(0, location.lastIndexOf('/')));
        JsonObject properties = parent == null ? null : parent.getJsonObject("properties");
        return properties == null ? "none" : String.join(", ", new java.util.TreeSet<>(properties.fieldNames()));
    }

    /** The HRESULT of a top-level property's rule, when the body gives it a value of the right type. */
    private static @Nullable String hresultOf(JsonObject schema, String location, JsonObject body) {
        JsonObject property = schemaAt(schema, location);
        if (property == null || !property.containsKey(HRESULT_KEYWORD) || location.lastIndexOf('/') != 1) {
            return null;
        }
        Object value = body.getValue(location.substring(2));
        return "string".equals(property.getString("type")) && value instanceof String
                ? property.getString(HRESULT_KEYWORD) : null;
    }

    /** The schema of the instance at {@code location} ({@code #/a/b}), following {@code properties} and the object
     * branch of a {@code oneOf}. */
    private static @Nullable JsonObject schemaAt(JsonObject schema, String location) {
        JsonObject current = schema;
        for (String step : location.replaceFirst("^#/?", "").split("/")) {
            if (step.isEmpty()) {
                continue;
            }
            current = objectBranch(current);
            JsonObject properties = current == null ? null : current.getJsonObject("properties");
            current = properties == null ? null : properties.getJsonObject(step);
            if (current == null) {
                return null;
            }
        }
        return objectBranch(current);
    }

    private static @Nullable JsonObject objectBranch(@Nullable JsonObject schema) {
        if (schema == null || !schema.containsKey("oneOf")) {
            return schema;
        }
        for (Object branch : schema.getJsonArray("oneOf")) {
            if (branch instanceof JsonObject object && "object".equals(object.getString("type"))) {
                return object;
            }
        }
        return schema;
    }

    private static JsonObject property(JsonObject schemas, String schema, String property) {
        return schemas.getJsonObject(schema).getJsonObject("properties").getJsonObject(property);
    }

    private static JsonObject read() {
        try (InputStream in = RequestSchemas.class.getResourceAsStream("openapi-components.json")) {
            if (in == null) {
                throw new IllegalStateException("openapi-components.json is missing from the classpath");
            }
            return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
