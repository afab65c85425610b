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

    /** Every recorder of the agent. */
    public static RecorderSelector any() {
        return ANY;
    }

    /** The recorders with one of these ids (at least one). */
    public static RecorderSelector anyOf(RecorderId... ids) {
        InvalidArgumentException.requireNonNull(ids, "ids");
        return anyOf(Arrays.asList(ids));
    }

    /** The recorders with one of these ids (at least one). */
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

    /** The recorders whose {@link RecorderInfo} matches {@code predicate}. */
    public static RecorderSelector matching(Predicate<? super RecorderInfo> predicate) {
        InvalidArgumentException.requireNonNull(predicate, "predicate");
        return new RecorderSelector(null, predicate, "recorders matching " + predicate);
    }

    /** The ids of an {@link #anyOf} selector; empty for a predicate. */
    public Set<RecorderId> ids() {
        return ids == null ? Set.of() : ids;
    }

    /** Whether the selector names its recorders by id ({@link #anyOf}). */
    public boolean byIds() {
        return ids != null;
    }

    /** Whether {@code recorder} belongs to the pool. */
    public boolean matches(RecorderInfo recorder) {
        return predicate.test(recorder);
    }

    @Override
    public String toString() {
        return description;
    }
}
