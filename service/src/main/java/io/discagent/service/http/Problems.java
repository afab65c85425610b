package io.discagent.service.http;

import io.discagent.service.ContextHop;
import io.discagent.api.error.HResult;
import io.discagent.api.error.RecorderException;
import io.discagent.service.problem.ProblemKind;
import io.discagent.service.problem.ServiceProblem;
import io.vertx.core.json.JsonObject;
import java.lang.System.Logger.Level;
import org.jspecify.annotations.Nullable;

/**
 * Turns every failure into an RFC 9457 problem document ({@code application/problem+json}) that carries the HRESULT
 * in hexadecimal, its symbolic name and, for a held recorder, its owner. The status, problem type and title come from
 * the failure's {@link ProblemKind}; docs/service.md lists them.
 */
public final class Problems {

    /** The media type of problem documents. */
    public static final String MEDIA_TYPE = "application/problem+json";

    private static final System.Logger LOG = System.getLogger(Problems.class.getName());

    private Problems() {
    }

    /** A problem document: its status and body. */
    public record Problem(int status, JsonObject body) {
    }

    /** The problem document of {@code failure}, for a request to {@code instance}. */
    public static Problem of(Throwable failure, String instance) {
        Throwable error = unwrap(failure);
        if (error instanceof ServiceProblem problem) {
            return build(problem.kind(), problem.hresult(), String.valueOf(problem.getMessage()), instance, null);
        }
        if (error instanceof RecorderException r) {
            return build(ProblemKind.of(r), r.hresult(), r.detailMessage(), instance, r);
        }
        if (error instanceof IllegalArgumentException bad) {
            return build(ProblemKind.INVALID_ARGUMENT, HResult.E_INVALIDARG, String.valueOf(bad.getMessage()),
                    instance, null);
        }
        LOG.log(Level.ERROR, "unexpected failure serving " + instance, error);
        return build(ProblemKind.INTERNAL, HResult.E_FAIL, "the service failed unexpectedly; see its log", instance,
                null);
    }

    private static Problem build(ProblemKind kind, HResult hresult, String detail, String instance,
            @Nullable RecorderException source) {
        JsonObject body = new JsonObject()
                .put("type", kind.type())
                .put("title", kind.title())
                .put("status", kind.status())
                .put("detail", detail)
                .put("instance", ServiceProblem.shorten(instance))
                .put("hresult", hresult.hex())
                .put("hresultName", hresult.name());
        if (source != null) {
            source.owner().ifPresent(owner -> body.put("owner", owner));
            source.recorder().ifPresent(r -> body.put("recorder", r.value()));
            source.nativeDetail().ifPresent(n -> body.put("nativeDetail", n.toString()));
        }
        return new Problem(kind.status(), body);
    }

    /** The failure inside the wrappers that futures add. */
    public static Throwable unwrap(Throwable failure) {
        return ContextHop.unwrap(failure);
    }
}
