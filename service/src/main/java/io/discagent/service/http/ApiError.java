package io.discagent.service.http;

import io.discagent.api.error.HResult;
import org.jspecify.annotations.Nullable;

/**
 * A failure the HTTP layer itself detects (authentication, unknown or closed sessions, limits, routing), with the
 * problem document it becomes. Failures of the agent stay {@link io.discagent.api.error.RecorderException}s and are
 * mapped by {@link Problems}.
 */
public final class ApiError extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final String kind;
    private final String title;
    private final HResult hresult;

    /**
     * @param status the HTTP status
     * @param kind the problem kind (the last part of the problem type URI)
     * @param title the short, fixed title of the kind
     * @param hresult the HRESULT the problem carries
     * @param detail what happened in this case
     */
    public ApiError(int status, String kind, String title, HResult hresult, String detail) {
        super(detail, null, false, false);
        this.status = status;
        this.kind = kind;
        this.title = title;
        this.hresult = hresult;
    }

    public int status() {
        return status;
    }

    public String kind() {
        return kind;
    }

    public String title() {
        return title;
    }

    public HResult hresult() {
        return hresult;
    }

    /** Malformed input: 400 with {@code E_INVALIDARG}. */
    public static ApiError badRequest(String detail) {
        return new ApiError(400, "invalid-argument", "Malformed or invalid input", HResult.E_INVALIDARG, detail);
    }

    /** No or a wrong access token: 401. */
    public static ApiError unauthorized(String detail) {
        return new ApiError(401, "unauthorized", "Access token required", HResult.E_ACCESSDENIED, detail);
    }

    /** A token that does not open this door: 403. */
    public static ApiError forbidden(String detail) {
        return new ApiError(403, "forbidden", "Not allowed", HResult.E_ACCESSDENIED, detail);
    }

    /** No such session: 404 with {@code HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE)}. */
    public static ApiError unknownSession(String sessionId) {
        return new ApiError(404, "unknown-session", "No such session",
                HResult.HRESULT_FROM_WIN32_ERROR_INVALID_HANDLE, "no session with id '" + shorten(sessionId) + "'");
    }

    /** No such route: 404. */
    public static ApiError noRoute(String method, String path) {
        return new ApiError(404, "no-route", "No such resource", HResult.E_INVALIDARG,
                "nothing is served at " + method + " " + shorten(path));
    }

    /** A route that exists but not for this method: 405. */
    public static ApiError methodNotAllowed(String method, String path) {
        return new ApiError(405, "method-not-allowed", "Method not allowed", HResult.E_INVALIDARG,
                method + " is not allowed on " + shorten(path));
    }

    /** A body over the limit: 413. */
    public static ApiError tooLarge(int limit) {
        return new ApiError(413, "body-too-large", "Request body too large", HResult.E_INVALIDARG,
                "the request body is larger than " + limit + " bytes");
    }

    /** A body that is not JSON: 415. */
    public static ApiError unsupportedMediaType(@Nullable String contentType) {
        return new ApiError(415, "unsupported-media-type", "Unsupported media type", HResult.E_INVALIDARG,
                "send the body as application/json, not " + (contentType == null ? "nothing" : shorten(contentType)));
    }

    /** Too many sessions: 429. */
    public static ApiError tooManySessions(int limit) {
        return new ApiError(429, "too-many-sessions", "Too many sessions",
                HResult.HRESULT_FROM_WIN32_ERROR_NOT_ENOUGH_QUOTA, limit + " sessions are open (the limit)");
    }

    /** Too many acquires in progress for one session: 429. */
    public static ApiError tooManyPending(int limit) {
        return new ApiError(429, "too-many-pending", "Too many pending acquire requests",
                HResult.HRESULT_FROM_WIN32_ERROR_NOT_ENOUGH_QUOTA,
                "this session already has " + limit + " acquire requests in progress (the limit)");
    }

    /** The simulated backend is not in use: 404. */
    public static ApiError notSimulated(String backend) {
        return new ApiError(404, "not-simulated", "Not the simulated backend", HResult.E_INVALIDARG,
                "the agent runs the " + backend + " backend; /api/v1/sim is only served on the simulated one");
    }

    /** A request that contradicts the current state of the simulated backend: 409. */
    public static ApiError simConflict(String detail) {
        return new ApiError(409, "sim-conflict", "Conflicting simulator request", HResult.E_INVALIDARG, detail);
    }

    /** Cuts client-supplied text to a size safe to echo. */
    static String shorten(String text) {
        return text.length() <= 120 ? text : text.substring(0, 120) + "...";
    }
}
