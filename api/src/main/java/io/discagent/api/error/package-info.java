/**
 * The error model: every failure is a {@link io.discagent.api.error.RecorderException} carrying its
 * {@link io.discagent.api.error.HResult}, split into transient and non-transient branches.
 */
@NullMarked
package io.discagent.api.error;

import org.jspecify.annotations.NullMarked;
