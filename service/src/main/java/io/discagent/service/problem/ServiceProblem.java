package io.discagent.service.problem;

import io.discagent.api.error.HResult;

/**
 * A failure the service itself detects (a token, a session it does not know, a limit, a route), with its
 * {@link ProblemKind}. Failures of the agent stay {@link io.discagent.api.error.RecorderException}s; both become the
 * same problem documents. Below HTTP: the session layer raises these too.
 */
public final class ServiceProblem extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final ProblemKind kind;

    /**
     * @param kind what kind of failure
     * @param detail what happened in this case
     */
    public ServiceProblem(ProblemKind kind, String detail) {
        super(detail, null, false, false);
        this.kind = kind;
    }

    /** A problem of {@code kind}. */
    public static ServiceProblem of(ProblemKind kind, String detail) {
        return new ServiceProblem(kind, detail);
    }

    public ProblemKind kind() {
        return kind;
    }

    /** The HRESULT the problem carries: its kind's. */
    public HResult hresult() {
        return kind.hresult();
    }

    /** No session with this id. */
    public static ServiceProblem unknownSession(String sessionId) {
        return new ServiceProblem(ProblemKind.UNKNOWN_SESSION, "no session with id '" + shorten(sessionId) + "'");
    }

    /** No such route. */
    public static ServiceProblem noRoute(String method, String path) {
        return new ServiceProblem(ProblemKind.NO_ROUTE, "nothing is served at " + method + " " + shorten(path));
    }

    /** A route that exists, but not for this method. */
    public static ServiceProblem methodNotAllowed(String method, String path) {
        return new ServiceProblem(ProblemKind.METHOD_NOT_ALLOWED, method + " is not allowed on " + shorten(path));
    }

    /** A body over the limit. */
    public static ServiceProblem tooLarge(int limit) {
        return new ServiceProblem(ProblemKind.BODY_TOO_LARGE, "the request body is larger than " + limit + " bytes");
    }

    /** A body that is not JSON. */
    public static ServiceProblem unsupportedMediaType(@org.jspecify.annotations.Nullable String contentType) {
        return new ServiceProblem(ProblemKind.UNSUPPORTED_MEDIA_TYPE, "send the body as application/json, not "
                + (contentType == null ? "nothing" : shorten(contentType)));
    }

    /** Too many sessions. */
    public static ServiceProblem tooManySessions(int limit) {
        return new ServiceProblem(ProblemKind.TOO_MANY_SESSIONS, limit + " sessions are open (the limit)");
    }

    /** The simulated backend is not in use. */
    public static ServiceProblem notSimulated(String backend) {
        return new ServiceProblem(ProblemKind.NOT_SIMULATED, "the agent runs the " + backend
                + " backend; /api/v1/sim is only served on the simulated one");
    }

    /** Burning through the service is off, or the image is outside the burn directory. */
    public static ServiceProblem imageNotAllowed(String detail) {
        return new ServiceProblem(ProblemKind.IMAGE_NOT_ALLOWED, detail);
    }

    /** The image file does not exist. */
    public static ServiceProblem imageNotFound(String image) {
        return new ServiceProblem(ProblemKind.IMAGE_NOT_FOUND, "no image file '" + shorten(image) + "'");
    }

    /** An unknown burn id. */
    public static ServiceProblem noSuchBurn(String burnId) {
        return new ServiceProblem(ProblemKind.NO_SUCH_BURN, "no burn with id '" + shorten(burnId) + "'");
    }

    /** Cuts client-supplied text to a size safe to echo. */
    public static String shorten(String text) {
        return text.length() <= 120 ? text : text.substring(0, 120) + "...";
    }
}
