package io.discagent.service.cli;

import io.discagent.service.problem.ExitCode;
import io.discagent.service.problem.ProblemKind;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * A small blocking client of the service's HTTP API (java.net.http), for the CLI's client commands. A problem
 * answer becomes a {@link Failure} carrying the exit code for it.
 */
final class AgentClient {

    /** A failed call: what to print, which exit code to use, and the problem's kind when the service gave one. */
    static final class Failure extends RuntimeException {

        private static final long serialVersionUID = 1L;

        final int exitCode;
        final transient @Nullable ProblemKind kind;

        Failure(int exitCode, String message) {
            this(exitCode, message, null);
        }

        Failure(int exitCode, String message, @Nullable ProblemKind kind) {
            super(message, null, false, false);
            this.exitCode = exitCode;
            this.kind = kind;
        }

        /** The same failure with another message. */
        Failure withMessage(String message) {
            return new Failure(exitCode, message, kind);
        }
    }

    private final URI base;
    private final @Nullable String accessToken;
    private final Map<String, String> extraHeaders = new LinkedHashMap<>();
    private final Map<String, String> words = new LinkedHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    AgentClient(String url, @Nullable String accessToken) {
        this.base = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
        this.accessToken = accessToken == null || accessToken.isBlank() ? null : accessToken;
    }

    /**
     * The command's options for the API's fields ({@code waitMillis} &rarr; {@code --wait}): problems name those
     * options instead ({@link UserWords}).
     */
    AgentClient words(Map<String, String> optionsByField) {
        words.putAll(optionsByField);
        return this;
    }

    /** Sends this header with every request (the admin token, for example). */
    AgentClient header(String name, @Nullable String value) {
        if (value != null && !value.isBlank()) {
            extraHeaders.put(name, value);
        }
        return this;
    }

    static String encode(String pathSegment) {
        return URLEncoder.encode(pathSegment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** A JSON call; returns the body ({@code {}} for 204). */
    JsonObject call(String method, String path, @Nullable JsonObject body, String... headers) {
        HttpResponse<String> response = send(request(method, path, body, headers).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() >= 400) {
            throw failure(response.statusCode(), response.body());
        }
        if (response.body() == null || response.body().isBlank()) {
            return new JsonObject();
        }
        try {
            return new JsonObject(response.body());
        } catch (DecodeException e) {
            throw new Failure(ExitCode.FAILURE.code(), "the agent answered something that is not JSON");
        }
    }

    /** A streaming GET: the lines of the response body, for SSE. */
    Stream<String> lines(String path) {
        HttpResponse<Stream<String>> response = send(request("GET", path, null, "Accept", "text/event-stream")
                .build(), HttpResponse.BodyHandlers.ofLines());
        if (response.statusCode() >= 400) {
            String body = String.join("\n", (Iterable<String>) response.body()::iterator);
            throw failure(response.statusCode(), body);
        }
        return response.body();
    }

    private HttpRequest.Builder request(String method, String path, @Nullable JsonObject body, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body.encode()));
        if (body != null || !method.equals("GET")) {
            // every write says it is JSON, also without a body: the service refuses writes that do not
            request.header("Content-Type", "application/json");
        }
        if (accessToken != null) {
            request.header("Authorization", "Bearer " + accessToken);
        }
        extraHeaders.forEach(request::header);
        for (int i = 0; i + 1 < headers.length; i += 2) {
            if (headers[i + 1] != null) {
                request.header(headers[i], headers[i + 1]);
            }
        }
        return request;
    }

    private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        try {
            return http.send(request, handler);
        } catch (ConnectException e) {
            throw new Failure(ExitCode.UNREACHABLE.code(), "cannot reach the agent at " + base
                    + " (is `discagent serve` running? use --url)");
        } catch (IOException e) {
            throw new Failure(ExitCode.UNREACHABLE.code(), "talking to the agent at " + base + " failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failure(ExitCode.FAILURE.code(), "interrupted");
        }
    }

    private Failure failure(int status, @Nullable String body) {
        String message = "HTTP " + status;
        String type = null;
        try {
            JsonObject problem = new JsonObject(body == null ? "" : body);
            type = problem.getString("type");
            message = UserWords.translate(problem.getString("detail", message), words) + " ["
                    + problem.getString("hresult", "?") + " "
                    + problem.getString("hresultName", "?") + "]";
            if (problem.getString("owner") != null) {
                message += " owner: " + problem.getString("owner");
            }
        } catch (DecodeException | ClassCastException e) {
            // not a problem document: keep the status
        }
        return new Failure(ProblemKind.exitCodeOf(type, status).code(), message, ProblemKind.ofType(type));
    }

    /**
     * A failure for an unknown recorder, with the recorders the service knows (a typo shows its fix); any other
     * failure as it is.
     */
    Failure withKnownRecorders(Failure failure) {
        if (failure.kind != ProblemKind.NO_SUCH_RECORDER) {
            return failure;
        }
        try {
            List<String> ids = recorderIds();
            return failure.withMessage(failure.getMessage() + (ids.isEmpty() ? "; the service has no recorders"
                    : "; known recorders: " + String.join(", ", ids)));
        } catch (Failure listing) {
            return failure;
        }
    }

    /** The ids of the service's recorders, in its order. */
    List<String> recorderIds() {
        List<String> ids = new ArrayList<>();
        call("GET", "/api/v1/recorders", null).getJsonArray("recorders")
                .forEach(r -> ids.add(((JsonObject) r).getString("id")));
        return ids;
    }
}
