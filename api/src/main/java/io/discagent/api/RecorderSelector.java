package io.discagent.api;

import io.discagent.api.error.InvalidArgumentException;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * Which recorders a pool request ({@link ClientSession#acquireAny}, {@link ClientSession#withLockAny}) may be granted:
 * a set of ids, a predicate on {@link RecorderInfo}, or every recorder.
 *
 * <p>The agent tests a selector on its event loop, once for each recorder when the request is admitted and once for
 * each recorder that arrives while the request waits; the {@link RecorderInfo} it sees is the recorder's at that
 * moment. A predicate must therefore be fast and must not block. A predicate that throws fails the request with
 * {@link InvalidArgumentException} ({@code 0x80070057}).
 */
public final class RecorderSelector {

    private static final RecorderSelector ANY = new RecorderSelector(null, info -> true, "any recorder");

    private final @Nullable Set<RecorderId> ids;
    private final Predicate<? super RecorderInfo> predicate;
    private final String description;

    private RecorderSelector(@Nullable Set<RecorderId> ids, Predicate<? super RecorderInfo> predicate,
            String description) {
        this.ids = ids;
        this.predicate = predicate;
        this.description = description;
    }

    /**
     * Every recorder of the agent.
     *
     * @return the selector that matches every recorder, including those that arrive while a request waits
     */
    public static RecorderSelector any() {
        return ANY;
    }

    /**
     * The recorders with one of these ids (at least one).
     *
     * @param ids the ids of the pool's recorders; duplicates count once
     * @return a selector by ids
     * @throws InvalidArgumentException ({@code E_INVALIDARG}) if {@code ids} or one of its elements is {@code null},
     *     or {@code ids} is empty
     */
    public static RecorderSelector anyOf(RecorderId... ids) {
        InvalidArgumentException.requireNonNull(ids, "ids");
        return anyOf(Arrays.asList(ids));
    }

    /**
     * The recorders with one of these ids (at least one).
     *
     * @param ids the ids of the pool's recorders; duplicates count once, and the collection is copied
     * @return a selector by ids
     * @throws InvalidArgumentException ({@code E_INVALIDARG}) if {@code ids} or one of its elements is {@code null},
     *     or {@code ids} is empty
     */
    public static RecorderSelector anyOf(Collection<RecorderId> ids) {
        InvalidArgumentException.requireNonNull(ids, "ids");
        Set<RecorderId> copy = new LinkedHashSet<>();
        for (RecorderId id : ids) {
            copy.add(InvalidArgumentException.requireNonNull(id, "ids[]"));
        }
        InvalidArgumentException.require(!copy.isEmpty(), "a selector needs at least one recorder id");
        Set<RecorderId> frozen = Set.copyOf(copy);
        return new RecorderSelector(frozen, info -> frozen.contains(info.id()), "any of " + copy);
    }

    /**
     * The recorders whose {@link RecorderInfo} matches {@code predicate}.
     *
     * @param predicate the test, run on the agent's event loop: it must be fast and must not block
     * @return a selector by predicate
     * @throws InvalidArgumentException ({@code E_INVALIDARG}) if {@code predicate} is {@code null}
     */
    public static RecorderSelector matching(Predicate<? super RecorderInfo> predicate) {
        InvalidArgumentException.requireNonNull(predicate, "predicate");
        return new RecorderSelector(null, predicate, "recorders matching " + predicate);
    }

    /**
     * The ids of an {@link #anyOf} selector; empty for a predicate.
     *
     * @return the ids, an unmodifiable set; empty unless {@link #byIds()}
     */
    public Set<RecorderId> ids() {
        return ids == null ? Set.of() : ids;
    }

    /**
     * Whether the selector names its recorders by id ({@link #anyOf}).
     *
     * @return {@code true} for a selector made by {@link #anyOf}; {@code false} for {@link #any()} and
     *     {@link #matching}
     */
    public boolean byIds() {
        return ids != null;
    }

    /**
     * Whether {@code recorder} belongs to the pool.
     *
     * @param recorder the recorder as the agent knows it at this moment
     * @return {@code true} if the selector accepts it
     */
    public boolean matches(RecorderInfo recorder) {
        return predicate.test(recorder);
    }

    @Override
    public String toString() {
        return description;
    }
}
