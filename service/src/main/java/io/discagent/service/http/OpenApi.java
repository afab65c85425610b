package io.discagent.service.http;

import io.discagent.service.problem.ProblemKind;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The OpenAPI 3.0 document of the service, generated from the {@link Endpoint}s the router serves (so it describes
 * exactly what is served) plus the schemas that request bodies are checked with ({@link RequestSchemas}).
 */
public final class OpenApi {

    private static final Pattern PATH_PARAM = Pattern.compile("\\{([A-Za-z]+)}");

    private OpenApi() {
    }

    /** The description of a problem status in the document: the kinds of that status ({@link ProblemKind}). */
    static String problemDescription(int status) {
        return ProblemKind.describeStatus(status);
    }

    /** The document for {@code endpoints}. */
    public static JsonObject document(List<Endpoint> endpoints, String version, JsonObject components) {
        JsonObject paths = new JsonObject();
        for (Endpoint endpoint : endpoints) {
            JsonObject item = paths.getJsonObject(endpoint.path());
            if (item == null) {
                item = new JsonObject();
                paths.put(endpoint.path(), item);
            }
            item.put(endpoint.method().name().toLowerCase(Locale.ROOT), operation(endpoint));
        }
        components.put("securitySchemes", new JsonObject()
                .put("accessToken", new JsonObject().put("type", "http").put("scheme", "bearer")
                        .put("description", "Required when the service has an access token (always on a "
                                + "non-loopback bind)"))
                .put("accessTokenQuery", new JsonObject().put("type", "apiKey").put("in", "query")
                        .put("name", "access_token"))
                .put("adminToken", new JsonObject().put("type", "apiKey").put("in", "header")
                        .put("name", Guard.ADMIN_HEADER)));
        return new JsonObject()
                .put("openapi", "3.0.3")
                .put("info", new JsonObject()
                        .put("title", "discagent")
                        .put("version", version)
                        .put("description", "Exclusive, counted access to optical disc recorders with IMAPI2 "
                                + "semantics, shared between the applications of one machine. Errors are "
                                + "application/problem+json documents carrying the HRESULT."))
                .put("paths", paths)
                .put("components", components);
    }

    private static JsonObject operation(Endpoint endpoint) {
        JsonObject op = new JsonObject()
                .put("operationId", endpoint.operationId())
                .put("summary", endpoint.summary())
                .put("tags", new JsonArray().add(endpoint.tag()));
        JsonArray parameters = new JsonArray();
        Matcher m = PATH_PARAM.matcher(endpoint.path());
        while (m.find()) {
            parameters.add(new JsonObject().put("name", m.group(1)).put("in", "path").put("required", true)
                    .put("schema", new JsonObject().put("type", "string")));
        }
        for (Endpoint.Query q : endpoint.queries()) {
            JsonObject schema = new JsonObject().put("type", q.type());
            if (q.repeated()) {
                schema = new JsonObject().put("type", "array").put("items", schema);
            }
            parameters.add(new JsonObject().put("name", q.name()).put("in", "query").put("required", false)
                    .put("description", q.description()).put("schema", schema));
        }
        if (endpoint.needsSessionToken()) {
            parameters.add(header(SessionEndpoints.TOKEN_HEADER, "The session's secret token",
                    !endpoint.takesAdminToken()));
        }
        if (endpoint.takesAdminToken() || endpoint.access() == Access.SIMULATOR) {
            parameters.add(header(Guard.ADMIN_HEADER, "The admin token" + (endpoint.access() == Access.SIMULATOR
                    ? " (required on a non-loopback bind)" : " (closes any session)"), false));
        }
        for (String name : endpoint.headers()) {
            parameters.add(header(name, "Optional", false));
        }
        if (!parameters.isEmpty()) {
            op.put("parameters", parameters);
        }
        if (endpoint.requestSchema() != null) {
            op.put("requestBody", new JsonObject().put("required", endpoint.requestRequired())
                    .put("content", new JsonObject().put("application/json", new JsonObject()
                            .put("schema", ref(endpoint.requestSchema())))));
        }
        JsonObject responses = new JsonObject();
        for (Endpoint.Response r : endpoint.responses()) {
            responses.put(String.valueOf(r.status()), endpoint.method() == HttpMethod.HEAD
                    ? new JsonObject().put("description", r.description()) : response(r));
        }
        // every request passes the front door (a malformed request, a foreign Host or Origin)
        problems(responses, 400, 403);
        if (endpoint.access() != Access.PUBLIC) {
            problems(responses, 401);
            JsonArray security = new JsonArray().add(new JsonObject().put("accessToken", new JsonArray()));
            if (endpoint.acceptsTokenInQuery()) {
                security.add(new JsonObject().put("accessTokenQuery", new JsonArray()));
            }
            security.add(new JsonObject());
            op.put("security", security);
        }
        if (endpoint.hasBody()) {
            problems(responses, 408, 413, 415);
        }
        op.put("responses", responses);
        return op;
    }

    private static void problems(JsonObject responses, int... statuses) {
        for (int status : statuses) {
            responses.put(String.valueOf(status), response(new Endpoint.Response(status, problemDescription(status),
                    "Problem", Problems.MEDIA_TYPE)));
        }
    }

    private static JsonObject header(String name, String description, boolean required) {
        return new JsonObject().put("name", name).put("in", "header").put("required", required)
                .put("description", description).put("schema", new JsonObject().put("type", "string"));
    }

    private static JsonObject response(Endpoint.Response r) {
        JsonObject response = new JsonObject().put("description", r.description());
        if (r.status() == 204) {
            return response;
        }
        JsonObject media = new JsonObject();
        if (r.schema() != null) {
            media.put("schema", ref(r.schema()));
        } else {
            media.put("schema", new JsonObject().put("type", r.mediaType().equals("application/json") ? "object"
                    : "string"));
        }
        return response.put("content", new JsonObject().put(r.mediaType(), media));
    }

    private static JsonObject ref(String schema) {
        return new JsonObject().put("$ref", "#/components/schemas/" + schema);
    }
}
