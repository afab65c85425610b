/**
 * Burning through the lock: a {@link io.discagent.api.burn.BurnRequest} (an image and its options), the
 * {@link io.discagent.api.burn.BurnProgress} a burn emits, and the {@link io.discagent.api.burn.BurnResult} it ends
 * with. See {@link io.discagent.api.ClientSession#burn(io.discagent.api.LockGrant, BurnRequest)}.
 */
@NullMarked
package io.discagent.api.burn;

import org.jspecify.annotations.NullMarked;
