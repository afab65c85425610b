package io.discagent.service.http;

import io.discagent.api.error.AccessDeniedException;
import io.discagent.api.error.AcquireTimeoutException;
import io.discagent.api.error.CommandTimeoutException;
import io.discagent.api.error.DeviceNotReadyException;
import io.discagent.api.error.EventOverflowException;
import io.discagent.api.error.HResult;
import io.discagent.api.error.InvalidArgumentException;
import io.discagent.api.error.InvalidClientNameException;
import io.discagent.api.error.InvalidHandleException;
import io.discagent.api.error.LockNotHeldException;
import io.discagent.api.error.NoSuchRecorderException;
import io.discagent.api.error.PendingAcquireLimitException;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderLockedException;
import io.discagent.api.error.RecorderRemovedException;
import io.discagent.api.error.RequestCancelledException;
import io.discagent.api.error.SessionClosedException;
import io.discagent.api.error.VolumeMountedException;
import io.vertx.core.json.JsonObject;
import java.lang.System.Logger.Level;
import java.util.concurrent.CompletionException;
import org.jspecify.annotations.Nullable;

/**
 * Turns every failure into an RFC 9457 problem document ({@code application/problem+json}) that carries the HRESULT
 * in hexadecimal, its symbolic name and, for a held recorder, its owner. Each kind of failure has its own status and
 * problem type ({@code urn:discagent:problem:<kind>}); docs/service.md lists them.
 */
public final class Problems {

    /** The media type of problem documents. */
    public static final String MEDIA_TYPE = "application/problem+json";

    /** The prefix of every problem type. */
    public static final String TYPE_PREFIX = "urn:discagent:problem:";

    private static final System.Logger LOG = System.getLogger(Problems.class.getName());

    private Problems() {
    }

    /** A problem document: its status and body. */
    public record Problem(int status, JsonObject body) {
    }

    /** The problem document of {@code failure}, for a request to {@code instance}. */
    public static Problem of(Throwable failure, String instance) {
        Throwable error = unwrap(failure);
        if (error instanceof ApiError) {
            ApiError api = (ApiError) error;
            return build(api.status(), api.kind(), api.title(), api.hresult(), api.getMessage(), instance, null,
                    null);
        }
        if (error instanceof RecorderException) {
            RecorderException r = (RecorderException) error;
            Kind kind = kindOf(r);
            return build(kind.status, kind.name, kind.title, r.hresult(), r.detailMessage(), instance,
                    r.owner().orElse(null), r);
        }
        if (error instanceof IllegalArgumentException) {
            return of(ApiError.badRequest(String.valueOf(error.getMessage())), instance);
        }
        LOG.log(Level.ERROR, "unexpected failure serving " + instance, error);
        return build(500, "internal", "Internal error", HResult.E_FAIL, "the service failed unexpectedly; see its log",
                instance, null, null);
    }

    private static Problem build(int status, String kind, String title, HResult hresult, String detail,
            String instance, @Nullable String owner, @Nullable RecorderException source) {
        JsonObject body = new JsonObject()
                .put("type", TYPE_PREFIX + kind)
                .put("title", title)
                .put("status", status)
                .put("detail", detail)
                .put("instance", ApiError.shorten(instance))
                .put("hresult", hresult.hex())
                .put("hresultName", hresult.name());
        if (owner != null) {
            body.put("owner", owner);
        }
        if (source != null) {
            source.recorder().ifPresent(r -> body.put("recorder", r.value()));
            source.nativeDetail().ifPresent(n -> body.put("nativeDetail", n.toString()));
        }
        return new Problem(status, body);
    }

    private record Kind(int status, String name, String title) {
    }

    private static Kind kindOf(RecorderException e) {
        if (e instanceof InvalidArgumentException) {
            return new Kind(400, "invalid-argument", "Malformed or invalid input");
        }
        if (e instanceof NoSuchRecorderException) {
            return new Kind(404, "unknown-recorder", "No such recorder");
        }
        if (e instanceof RecorderRemovedException || e instanceof InvalidHandleException) {
            return new Kind(404, "recorder-removed", "Recorder removed");
        }
        if (e instanceof LockNotHeldException) {
            return new Kind(409, "lock-not-held", "Lock not held");
        }
        if (e instanceof VolumeMountedException) {
            return new Kind(409, "volume-mounted", "A volume is mounted");
        }
        if (e instanceof SessionClosedException) {
            return new Kind(410, "session-closed", "Session closed");
        }
        if (e instanceof InvalidClientNameException) {
            return new Kind(422, "invalid-client-name", "Invalid client name");
        }
        if (e instanceof RecorderLockedException) {
            return new Kind(423, "recorder-locked", "Recorder locked");
        }
        if (e instanceof AccessDeniedException) {
            return new Kind(423, "recorder-access-denied", "Recorder in use or access denied");
        }
        if (e instanceof PendingAcquireLimitException) {
            return new Kind(429, "too-many-pending", "Too many pending acquire requests");
        }
        if (e instanceof CommandTimeoutException) {
            return new Kind(503, "command-timed-out", "Recorder not responding");
        }
        if (e instanceof DeviceNotReadyException) {
            return new Kind(503, "device-not-ready", "Recorder not ready");
        }
        if (e instanceof RequestCancelledException || e instanceof EventOverflowException) {
            return new Kind(503, "request-cancelled", "Request cancelled");
        }
        if (e instanceof AcquireTimeoutException) {
            return new Kind(504, "wait-timed-out", "Wait for the recorder timed out");
        }
        return new Kind(502, "native-failure", "Recorder failure");
    }

    /** The failure inside the wrappers that futures add. */
    public static Throwable unwrap(Throwable failure) {
        Throwable error = failure;
        while ((error instanceof CompletionException || error instanceof java.util.concurrent.ExecutionException)
                && error.getCause() != null) {
            error = error.getCause();
        }
        return error;
    }
}
