/**
 * The public contract of discagent: {@link io.discagent.api.RecorderAgent}, {@link io.discagent.api.ClientSession},
 * the acquire options, and (in sub-packages) the events and the error model. This module depends on reactor-core
 * only.
 */
@NullMarked
package io.discagent.api;

import org.jspecify.annotations.NullMarked;
