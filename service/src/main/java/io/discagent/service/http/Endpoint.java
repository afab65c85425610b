package io.discagent.service.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One served operation: what the router mounts and what the OpenAPI document describes, from the same object, so
 * the document cannot drift from the routes. Built once at start, then read only.
 */
public final class Endpoint {

    /** A response the operation can give. */
    public record Response(int status, String description, @Nullable String schema, String mediaType) {
    }

    /** A query parameter. */
    public record Query(String name, String description, String type, boolean repeated) {
    }

    private final HttpMethod method;
    private final String path;
    private final String operationId;
    private final String tag;
    private final String summary;
    private Access access = Access.API;
    private @Nullable String requestSchema;
    private boolean requestRequired = true;
    private boolean sessionToken;
    private boolean adminToken;
    private boolean tokenInQuery;
    private final List<Response> responses = new ArrayList<>();
    private final List<Query> queries = new ArrayList<>();
    private final List<String> headers = new ArrayList<>();
    private @Nullable Handler<RoutingContext> handler;

    private Endpoint(HttpMethod method, String path, String operationId, String tag, String summary) {
        this.method = method;
        this.path = path;
        this.operationId = operationId;
        this.tag = tag;
        this.summary = summary;
    }

    /**
     * Starts an endpoint.
     *
     * @param path an OpenAPI path, such as {@code /api/v1/recorders/{rid}}
     */
    public static Endpoint of(HttpMethod method, String path, String operationId, String tag, String summary) {
        return new Endpoint(method, path, operationId, tag, summary);
    }

    public Endpoint access(Access access) {
        this.access = access;
        return this;
    }

    /** The request body's schema (a name under {@code components.schemas}). */
    public Endpoint body(String schema, boolean required) {
        this.requestSchema = schema;
        this.requestRequired = required;
        return this;
    }

    /** A write without fields: it takes no body or {@code {}} (and, like every write, JSON's content type). */
    public Endpoint noBody() {
        return body("NoBody", false);
    }

    /** The operation needs the session token ({@code X-Session-Token}). */
    public Endpoint sessionToken() {
        this.sessionToken = true;
        return this;
    }

    /** The operation takes the admin token ({@code X-Admin-Token}). */
    public Endpoint adminToken() {
        this.adminToken = true;
        return this;
    }

    /** The access token may also come as {@code ?access_token=} (event streams). */
    public Endpoint tokenInQuery() {
        this.tokenInQuery = true;
        return this;
    }

    /** A request header the operation reads, documented as optional. */
    public Endpoint header(String name) {
        headers.add(name);
        return this;
    }

    public Endpoint query(String name, String description, String type, boolean repeated) {
        queries.add(new Query(name, description, type, repeated));
        return this;
    }

    /** A JSON success response. */
    public Endpoint ok(int status, String description, @Nullable String schema) {
        responses.add(new Response(status, description, schema, "application/json"));
        return this;
    }

    /** A success response of another media type (text, HTML, an event stream). */
    public Endpoint okText(int status, String description, String mediaType) {
        responses.add(new Response(status, description, null, mediaType));
        return this;
    }

    /** Problem responses the operation can give, beyond the ones every operation can. */
    public Endpoint problems(int... statuses) {
        for (int status : statuses) {
            responses.add(new Response(status, OpenApi.problemDescription(status), "Problem", Problems.MEDIA_TYPE));
        }
        return this;
    }

    public Endpoint handler(Handler<RoutingContext> handler) {
        this.handler = Objects.requireNonNull(handler, "handler");
        return this;
    }

    /**
     * The same operation for {@code HEAD}: the same handler, access and statuses, answered with the headers only (the
     * server leaves the body out). Health probes and load balancers send {@code HEAD}.
     */
    public Endpoint head() {
        if (method != HttpMethod.GET) {
            throw new IllegalStateException("only a GET has a HEAD twin: " + method + " " + path);
        }
        Endpoint head = new Endpoint(HttpMethod.HEAD, path, operationId + "Head", tag, summary + " (headers only)");
        head.access = access;
        head.tokenInQuery = tokenInQuery;
        head.responses.addAll(responses);
        head.queries.addAll(queries);
        head.headers.addAll(headers);
        head.handler = handler();
        return head;
    }

    public HttpMethod method() {
        return method;
    }

    public String path() {
        return path;
    }

    /** The path in Vert.x router syntax ({@code :rid} for {@code {rid}}). */
    public String routerPath() {
        return path.replaceAll("\\{([A-Za-z]+)}", ":$1");
    }

    public String operationId() {
        return operationId;
    }

    public String tag() {
        return tag;
    }

    public String summary() {
        return summary;
    }

    public Access access() {
        return access;
    }

    public @Nullable String requestSchema() {
        return requestSchema;
    }

    public boolean requestRequired() {
        return requestRequired;
    }

    public boolean needsSessionToken() {
        return sessionToken;
    }

    public boolean takesAdminToken() {
        return adminToken;
    }

    public boolean acceptsTokenInQuery() {
        return tokenInQuery;
    }

    public List<Response> responses() {
        return Collections.unmodifiableList(responses);
    }

    public List<Query> queries() {
        return Collections.unmodifiableList(queries);
    }

    public List<String> headers() {
        return Collections.unmodifiableList(headers);
    }

    public Handler<RoutingContext> handler() {
        Handler<RoutingContext> h = handler;
        if (h == null) {
            throw new IllegalStateException(method + " " + path + " has no handler");
        }
        return h;
    }

    /** Whether the operation reads a request body. */
    public boolean hasBody() {
        return requestSchema != null;
    }
}
