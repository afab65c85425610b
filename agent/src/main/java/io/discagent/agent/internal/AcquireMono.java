package io.discagent.agent.internal;

import io.discagent.api.AcquireOptions;
import io.discagent.api.LockGrant;
import io.discagent.api.RecorderId;
import org.jspecify.annotations.Nullable;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;

/**
 * {@code ClientSession.acquire} as a {@code Mono}: each subscription is one {@link AcquireOperation}, which is also
 * the subscription its subscriber holds. Nothing happens before the subscriber requests. No operator sits between
 * this {@code Mono} and its subscriber, so the delivery protocol of {@link AcquireOperation} applies to exactly the
 * subscriber the user attached.
 */
final class AcquireMono extends Mono<LockGrant> {

    private final AgentCore core;
    private final SessionImpl session;
    private final @Nullable RecorderId recorder;
    private final @Nullable AcquireOptions options;
    private final boolean keepDelivered;

    AcquireMono(AgentCore core, SessionImpl session, @Nullable RecorderId recorder, @Nullable AcquireOptions options,
            boolean keepDelivered) {
        this.core = core;
        this.session = session;
        this.recorder = recorder;
        this.options = options;
        this.keepDelivered = keepDelivered;
    }

    @Override
    public void subscribe(CoreSubscriber<? super LockGrant> actual) {
        actual.onSubscribe(new AcquireOperation(core, session, recorder, options, actual, keepDelivered));
    }
}
