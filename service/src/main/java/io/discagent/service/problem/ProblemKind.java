package io.discagent.service.problem;

import io.discagent.api.error.AccessDeniedException;
import io.discagent.api.error.AcquireTimeoutException;
import io.discagent.api.error.BurnNotSupportedException;
import io.discagent.api.error.CommandTimeoutException;
import io.discagent.api.error.DeviceNotReadyException;
import io.discagent.api.error.EventOverflowException;
import io.discagent.api.error.HResult;
import io.discagent.api.error.InvalidArgumentException;
import io.discagent.api.error.InvalidClientNameException;
import io.discagent.api.error.InvalidHandleException;
import io.discagent.api.error.LockNotHeldException;
import io.discagent.api.error.MediaNotWritableException;
import io.discagent.api.error.MediaTooSmallException;
import io.discagent.api.error.MediumErrorException;
import io.discagent.api.error.NativeRecorderException;
import io.discagent.api.error.PendingAcquireLimitException;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderLockedException;
import io.discagent.api.error.RecorderRemovedException;
import io.discagent.api.error.RequestCancelledException;
import io.discagent.api.error.SessionClosedException;
import io.discagent.api.error.VolumeMountedException;
import io.discagent.api.error.WriteInProgressException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * The service's whole failure vocabulary, one row per kind: its HTTP status, its problem type
 * ({@code urn:discagent:problem:<slug>}), its title, the CLI's exit code, the HRESULT it carries when the service
 * itself raises it, and the agent's exception types it stands for. The HTTP mapping ({@code Problems}), the OpenAPI
 * document, the CLI's exit codes and help, and the table in {@code docs/service.md} are all derived from it (Vert.x's
 * {@code ReplyFailure} is the shape: one enum is the vocabulary and every layer maps from it). A test walks
 * {@link RecorderException}'s permitted subclasses and fails on any type without a kind.
 */
public enum ProblemKind {

    INVALID_ARGUMENT(400, "invalid-argument", "Malformed or invalid input",
            "bad JSON, wrong types or ranges, unknown fields, missing body", ExitCode.USAGE, HResult.E_INVALIDARG,
            InvalidArgumentException.class),
    UNAUTHORIZED(401, "unauthorized", "Access token required", "access token missing or wrong", ExitCode.DENIED,
            HResult.E_ACCESSDENIED),
    FORBIDDEN(403, "forbidden", "Not allowed",
            "another session's token, a wrong admin token, a Host or Origin that is not allowed", ExitCode.DENIED,
            HResult.E_ACCESSDENIED),
    IMAGE_NOT_ALLOWED(403, "image-not-allowed", "Image not allowed",
            "an image outside the burn directory (its real path), or no burn directory configured", ExitCode.DENIED,
            HResult.E_ACCESSDENIED),
    NO_SUCH_RECORDER(404, "no-such-recorder", "No such recorder", "unknown recorder, or removed meanwhile",
            ExitCode.NOT_FOUND, HResult.HRESULT_FROM_WIN32_ERROR_DEV_NOT_EXIST, RecorderRemovedException.class),
    UNKNOWN_SESSION(404, "unknown-session", "No such session", "unknown session id",
            ExitCode.NOT_FOUND, HResult.HRESULT_FROM_WIN32_ERROR_INVALID_HANDLE),
    NO_ROUTE(404, "no-route", "No such resource", "nothing is served at that path", ExitCode.NOT_FOUND,
            HResult.E_INVALIDARG),
    IMAGE_NOT_FOUND(404, "image-not-found", "No such image", "the image file does not exist", ExitCode.NOT_FOUND,
            HResult.HRESULT_FROM_WIN32_ERROR_FILE_NOT_FOUND),
    NO_SUCH_BURN(404, "no-such-burn", "No such burn", "unknown burn id, or forgotten since it ended",
            ExitCode.NOT_FOUND, HResult.E_INVALIDARG),
    NOT_SIMULATED(404, "not-simulated", "Not the simulated backend",
            "simulator control while another backend runs, or while it is off (--simulator-control)",
            ExitCode.NOT_FOUND,
            HResult.E_INVALIDARG),
    NO_FLEET(404, "no-fleet", "Not in a fleet", "the service was started without --cluster", ExitCode.NOT_FOUND,
            HResult.E_INVALIDARG),
    METHOD_NOT_ALLOWED(405, "method-not-allowed", "Method not allowed", "a path served for other methods",
            ExitCode.USAGE, HResult.E_INVALIDARG),
    REQUEST_TIMEOUT(408, "request-timeout", "Request timed out",
            "the request's body did not arrive within the request timeout; the connection is closed", ExitCode.FAILURE,
            HResult.HRESULT_FROM_WIN32_ERROR_TIMEOUT),
    LOCK_NOT_HELD(409, "lock-not-held", "Lock not held",
            "release at a count of zero; the holder is named when another session holds it", ExitCode.CONFLICT,
            HResult.HRESULT_FROM_WIN32_ERROR_INVALID_FUNCTION, LockNotHeldException.class),
    VOLUME_MOUNTED(409, "volume-mounted", "A volume is mounted", "a mounted file system and no force",
            ExitCode.CONFLICT, HResult.HRESULT_FROM_WIN32_ERROR_BAD_COMMAND, VolumeMountedException.class),
    MEDIA_NOT_WRITABLE(409, "media-not-writable", "Medium not writable",
            "no disc, a closed or write-protected disc, a medium the recorder cannot write", ExitCode.CONFLICT,
            HResult.E_IMAPI_DF2DATA_MEDIA_NOT_BLANK, MediaNotWritableException.class),
    MEDIA_TOO_SMALL(409, "media-too-small", "Image larger than the free space",
            "the image is larger than the medium's free capacity", ExitCode.CONFLICT,
            HResult.E_IMAPI_DF2DATA_STREAM_TOO_LARGE_FOR_CURRENT_MEDIA, MediaTooSmallException.class),
    SIM_CONFLICT(409, "sim-conflict", "Conflicting simulator request",
            "a simulator request that contradicts the simulated devices", ExitCode.CONFLICT, HResult.E_INVALIDARG),
    SESSION_CLOSED(410, "session-closed", "Session closed",
            "deleted, lease expired, socket closed or closed by the admin; the detail says why", ExitCode.CONFLICT,
            HResult.RPC_E_DISCONNECTED, SessionClosedException.class),
    BODY_TOO_LARGE(413, "body-too-large", "Request body too large", "a body over the limit", ExitCode.USAGE,
            HResult.E_INVALIDARG),
    UNSUPPORTED_MEDIA_TYPE(415, "unsupported-media-type", "Unsupported media type",
            "a body that is not application/json", ExitCode.USAGE, HResult.E_INVALIDARG),
    INVALID_CLIENT_NAME(422, "invalid-client-name", "Invalid client name",
            "IMAPI2's rule: 1-63 of A-Z a-z 0-9 space . , : ; - _", ExitCode.USAGE,
            HResult.E_IMAPI_RECORDER_CLIENT_NAME_IS_NOT_VALID, InvalidClientNameException.class),
    RECORDER_LOCKED(423, "recorder-locked", "Recorder locked", "held by another client and not waiting; the owner "
            + "is named", ExitCode.BUSY, HResult.E_IMAPI_RECORDER_LOCKED, RecorderLockedException.class),
    WRITE_IN_PROGRESS(423, "write-in-progress", "A burn is running",
            "the recorder is writing another burn of the session", ExitCode.BUSY,
            HResult.E_IMAPI_DF2DATA_WRITE_IN_PROGRESS, WriteInProgressException.class),
    ACCESS_DENIED(423, "recorder-access-denied", "Recorder in use or access denied",
            "the operating system refused the device", ExitCode.BUSY, HResult.E_ACCESSDENIED,
            AccessDeniedException.class),
    TOO_MANY_PENDING(429, "too-many-pending", "Too many pending acquire requests",
            "too many acquires waiting (per session or per recorder)", ExitCode.BUSY,
            HResult.HRESULT_FROM_WIN32_ERROR_NOT_ENOUGH_QUOTA, PendingAcquireLimitException.class),
    TOO_MANY_SESSIONS(429, "too-many-sessions", "Too many sessions", "the session limit is reached", ExitCode.BUSY,
            HResult.HRESULT_FROM_WIN32_ERROR_NOT_ENOUGH_QUOTA),
    TOO_MANY_SIMULATED_RECORDERS(429, "too-many-simulated-recorders", "Too many simulated recorders",
            "the simulator's recorder limit is reached (each recorder has a native thread)", ExitCode.BUSY,
            HResult.HRESULT_FROM_WIN32_ERROR_NOT_ENOUGH_QUOTA),
    INTERNAL(500, "internal", "Internal error", "a bug of the service; its log says more", ExitCode.FAILURE,
            HResult.E_FAIL),
    BURN_NOT_SUPPORTED(501, "burn-not-supported", "Burning not supported",
            "the backend cannot burn this: no burning tool, no test write, an image of partial sectors",
            ExitCode.FAILURE, HResult.E_IMAPI_DF2DATA_RECORDER_NOT_SUPPORTED, BurnNotSupportedException.class),
    NATIVE_FAILURE(502, "native-failure", "Recorder failure", "any other native HRESULT, as the backend gave it",
            ExitCode.RECORDER_FAILURE, HResult.E_FAIL, NativeRecorderException.class),
    MEDIUM_ERROR(502, "medium-error", "Medium error",
            "the drive failed a write, or the disc read back differs; the sense data is in the detail",
            ExitCode.RECORDER_FAILURE, HResult.E_IMAPI_UNEXPECTED_RESPONSE_FROM_DEVICE, MediumErrorException.class),
    COMMAND_TIMED_OUT(503, "command-timed-out", "Recorder not responding",
            "a native call over the command timeout", ExitCode.RECORDER_FAILURE,
            HResult.E_IMAPI_RECORDER_COMMAND_TIMEOUT, CommandTimeoutException.class),
    DEVICE_NOT_READY(503, "device-not-ready", "Recorder not ready", "becoming ready, formatting, busy",
            ExitCode.RECORDER_FAILURE, HResult.E_IMAPI_RECORDER_MEDIA_BECOMING_READY, DeviceNotReadyException.class),
    INVALID_HANDLE(503, "invalid-handle", "Recorder handle was invalid",
            "the native handle died; it is opened again for the next call", ExitCode.RECORDER_FAILURE,
            HResult.HRESULT_FROM_WIN32_ERROR_INVALID_HANDLE, InvalidHandleException.class),
    FLEET_NOT_JOINED(503, "fleet-not-joined", "Fleet not joined", "joining the cluster, or joining it failed",
            ExitCode.RECORDER_FAILURE, HResult.E_FAIL),
    REQUEST_CANCELLED(503, "request-cancelled", "Request cancelled", "the agent is closing, or a stream fell behind",
            ExitCode.RECORDER_FAILURE, HResult.E_IMAPI_REQUEST_CANCELLED, RequestCancelledException.class,
            EventOverflowException.class),
    WAIT_TIMED_OUT(504, "wait-timed-out", "Wait for the recorder timed out",
            "the wait (waitMillis) ran out; the owner is named", ExitCode.BUSY,
            HResult.HRESULT_FROM_WIN32_ERROR_TIMEOUT, AcquireTimeoutException.class);

    /** The prefix of every problem type. */
    public static final String TYPE_PREFIX = "urn:discagent:problem:";

    private final int status;
    private final String slug;
    private final String title;
    private final String when;
    private final ExitCode exit;
    private final HResult hresult;
    private final List<Class<? extends RecorderException>> types;

    @SafeVarargs
    ProblemKind(int status, String slug, String title, String when, ExitCode exit, HResult hresult,
            Class<? extends RecorderException>... types) {
        this.status = status;
        this.slug = slug;
        this.title = title;
        this.when = when;
        this.exit = exit;
        this.hresult = hresult;
        this.types = List.of(types);
    }

    public int status() {
        return status;
    }

    /** The last part of the problem type. */
    public String slug() {
        return slug;
    }

    /** The problem type: {@code urn:discagent:problem:<slug>}. */
    public String type() {
        return TYPE_PREFIX + slug;
    }

    public String title() {
        return title;
    }

    /** When it happens, in a few words (docs and OpenAPI). */
    public String when() {
        return when;
    }

    public ExitCode exitCode() {
        return exit;
    }

    /** The HRESULT a problem of this kind carries when the service raises it (the agent's carry their own). */
    public HResult hresult() {
        return hresult;
    }

    /** The agent's exception types this kind stands for. */
    public List<Class<? extends RecorderException>> types() {
        return types;
    }

    /** The kind of an agent failure: the one that lists its type. */
    public static ProblemKind of(RecorderException failure) {
        for (ProblemKind kind : values()) {
            if (kind.types.contains(failure.getClass())) {
                return kind;
            }
        }
        return NATIVE_FAILURE;
    }

    /** The kind with this problem type, or null. */
    public static @Nullable ProblemKind ofType(@Nullable String type) {
        for (ProblemKind kind : values()) {
            if (kind.type().equals(type)) {
                return kind;
            }
        }
        return null;
    }

    /** The exit code of a problem the CLI got: by its type, else by its status. */
    public static ExitCode exitCodeOf(@Nullable String type, int status) {
        ProblemKind kind = ofType(type);
        if (kind != null) {
            return kind.exit;
        }
        for (ProblemKind k : values()) {
            if (k.status == status) {
                return k.exit;
            }
        }
        return status >= 500 ? ExitCode.RECORDER_FAILURE : ExitCode.FAILURE;
    }

    /** The description of a status in the OpenAPI document: the titles of its kinds and their HRESULTs. */
    public static String describeStatus(int status) {
        List<String> parts = new ArrayList<>();
        for (ProblemKind kind : values()) {
            if (kind.status == status) {
                parts.add(kind.title + " (" + kind.hresult.name() + ")");
            }
        }
        return parts.isEmpty() ? "Problem" : String.join("; ", parts);
    }

    /** The statuses problems may have, in order. */
    public static List<Integer> statuses() {
        return java.util.Arrays.stream(values()).map(ProblemKind::status).distinct().sorted().toList();
    }

    /** The Markdown table of {@code docs/service.md}: kind, status, type, HRESULT, exit code, when. */
    public static String markdownTable() {
        StringBuilder table = new StringBuilder("| Problem type | Status | HRESULT | CLI exit | When |\n"
                + "| --- | --- | --- | --- | --- |\n");
        for (ProblemKind kind : values()) {
            String hresults = kind.types.isEmpty() ? code(kind.hresult)
                    : kind.types.stream().flatMap(t -> io.discagent.api.error.RecorderExceptions.rows().stream()
                            .filter(r -> r.type() == t)).map(r -> code(r.code())).distinct()
                            .collect(Collectors.joining(", "));
            if (kind == NATIVE_FAILURE) {
                hresults = "the backend's own, e.g. `0xC0AA0202`";
            }
            table.append("| `").append(kind.slug).append("` | ").append(kind.status).append(" | ").append(hresults)
                    .append(" | ").append(kind.exit.code()).append(" | ").append(kind.title).append(": ")
                    .append(kind.when).append(" |\n");
        }
        return table.toString();
    }

    private static String code(HResult h) {
        return "`" + h.hex() + "` `" + h.name() + "`";
    }
}
