package io.discagent.agent.internal;

import io.discagent.api.AcquireOptions;
import io.discagent.api.LockGrant;
import io.discagent.api.RecorderId;
import io.discagent.api.RecorderSelector;
import org.jspecify.annotations.Nullable;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;

/**
 * {@code ClientSession.acquire} (and {@code acquireAny}, with a selector) as a {@code Mono}: each subscription is one
 * {@link AcquireOperation}, which is also the subscription its subscriber holds. Nothing happens before the
 * subscriber requests. No operator sits between this {@code Mono} and its subscriber, so the delivery protocol of
 * {@link AcquireOperation} applies to exactly the subscriber the user attached.
 */
final class AcquireMono extends Mono<LockGrant> {

    private final AgentCore core;
    private final SessionImpl session;
    private final @Nullable RecorderId recorder;
    private final @Nullable RecorderSelector selector;
    private final @Nullable AcquireOptions options;
    private final boolean keepDelivered;

    AcquireMono(AgentCore core, SessionImpl session, @Nullable RecorderId recorder, @Nullable AcquireOptions options,
            boolean keepDelivered) {
        this(core, session, recorder, null, options, keepDelivered);
    }

    /** A pool request ({@code acquireAny}) when {@code selector} is set. */
    AcquireMono(AgentCore core, SessionImpl session, @Nullable RecorderId recorder,
            @Nullable RecorderSelector selector, @Nullable AcquireOptions options, boolean keepDelivered) {
        this.core = core;
        this.session = session;
        this.recorder = recorder;
        this.selector = selector;
        this.options = options;
        this.keepDelivered = keepDelivered;
    }

    @Override
    public void subscribe(CoreSubscriber<? super LockGrant> actual) {
        actual.onSubscribe(new AcquireOperation(session, recorder, selector, options, actual,
                keepDelivered));
    }
}
