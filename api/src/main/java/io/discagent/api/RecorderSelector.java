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
 * a set of ids, a predicate on {@link RecorderInfo}, or every recorder &mdash; and, optionally, which medium the
 * recorder must hold ({@link #withMedium}, {@link #withWritableMedium}).
 *
 * <p>The agent tests a selector on its event loop, once for each recorder when the request is admitted and once for
 * each recorder that arrives while the request waits; the {@link RecorderInfo} it sees is the recorder's at that
 * moment. A predicate must therefore be fast and must not block. A predicate that throws fails the request with
 * {@link InvalidArgumentException} ({@code 0x80070057}).
 *
 * <p><b>Media.</b> A medium condition is tested against the medium the agent last read in the recorder (it reads the
 * medium at start and at every media change while media polling is on; {@link MediaInfo#unknown} before the first read
 * or when a read failed): when the request is admitted, whenever that medium changes while the request waits, and
 * once more the moment the recorder would be granted. The request waits in line only at recorders whose medium
 * matches; a recorder whose medium stops matching drops out of the request (its place in that recorder's line is
 * lost), and one whose medium starts matching joins it at the back of its line. A request that may not wait fails at
 * once when no recorder of the pool is free with a matching medium: with {@code RecorderLockedException} naming the
 * holder when one with a matching medium is held, else with {@code MediaNotWritableException}; one that waits keeps
 * waiting, up to its timeout,
 * while a recorder of the pool exists whose medium may still change.
 */
public final class RecorderSelector {

    private static final RecorderSelector ANY = new RecorderSelector(null, info -> true, null, "any recorder");

    private final @Nullable Set<RecorderId> ids;
    private final Predicate<? super RecorderInfo> predicate;
    private final @Nullable Predicate<? super MediaInfo> medium;
    private final String description;

    private RecorderSelector(@Nullable Set<RecorderId> ids, Predicate<? super RecorderInfo> predicate,
            @Nullable Predicate<? super MediaInfo> medium, String description) {
        this.ids = ids;
        this.predicate = predicate;
        this.medium = medium;
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
        return new RecorderSelector(frozen, info -> frozen.contains(info.id()), null, "any of " + copy);
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
        return new RecorderSelector(null, predicate, null, "recorders matching " + predicate);
    }

    /**
     * This selector, restricted to recorders whose medium matches {@code condition} (see "Media" above). A further
     * call replaces the condition.
     *
     * @param condition the test of the recorder's last read medium, run on the agent's event loop: it must be fast
     *     and must not block
     * @return a selector with a medium condition
     * @throws InvalidArgumentException ({@code E_INVALIDARG}) if {@code condition} is {@code null}
     */
    public RecorderSelector withMedium(Predicate<? super MediaInfo> condition) {
        InvalidArgumentException.requireNonNull(condition, "condition");
        return new RecorderSelector(ids, predicate, condition, description + " with a medium matching " + condition);
    }

    /**
     * This selector, restricted to recorders holding a writable medium with at least {@code minFreeBytes} free (a
     * blank or appendable disc: {@link MediaInfo#writable()} and {@link MediaInfo#freeBytes()}).
     *
     * @param minFreeBytes the free space the medium must have, in bytes; 0 for any writable medium
     * @return a selector with a medium condition
     * @throws InvalidArgumentException ({@code E_INVALIDARG}) if {@code minFreeBytes} is negative
     */
    public RecorderSelector withWritableMedium(long minFreeBytes) {
        InvalidArgumentException.require(minFreeBytes >= 0, "minFreeBytes must not be negative: " + minFreeBytes);
        return new RecorderSelector(ids, predicate, media -> media.writable() && media.freeBytes() >= minFreeBytes,
                description + " with a writable medium of at least " + minFreeBytes + " bytes free");
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

    /**
     * Whether the selector has a medium condition ({@link #withMedium}, {@link #withWritableMedium}).
     *
     * @return {@code true} if the recorder's medium matters
     */
    public boolean hasMediumCondition() {
        return medium != null;
    }

    /**
     * Whether {@code media} meets the selector's medium condition; always {@code true} without one.
     *
     * @param media the medium the agent last read in a recorder
     * @return {@code true} if a recorder holding it may be granted
     */
    public boolean acceptsMedium(MediaInfo media) {
        Predicate<? super MediaInfo> condition = medium;
        return condition == null || condition.test(media);
    }

    @Override
    public String toString() {
        return description;
    }
}
