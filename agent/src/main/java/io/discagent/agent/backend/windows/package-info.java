/**
 * The Windows backend: IMAPI2's {@code MsftDiscMaster2} and {@code MsftDiscRecorder2} through their vtables with
 * jna-platform, each on a single-threaded apartment that the agent's native workers enter, pump and leave.
 *
 * <h2>Layers</h2>
 * <ul>
 * <li>{@link io.discagent.agent.backend.windows.WindowsBackend} and {@code WindowsRecorder}: the backend's logic
 * (enumeration, one recorder object per device, hotplug by events and by polling, re-enumeration after a dead
 * handle). They speak to COM only through the narrow {@code Imapi2} interface.</li>
 * <li>{@code Apartment}, {@code ApartmentHooks} and {@code MessageWait}: the thread discipline (CoInitializeEx at
 * start, a wait that ends at once for a call or a window message, the pump, every object released on its thread
 * before CoUninitialize).</li>
 * <li>{@code ComErrors}: the one mapper from a COM failure to a typed {@code RecorderException}, per call.</li>
 * <li>{@link io.discagent.agent.backend.windows.ComEventSink}: our {@code DDiscMaster2Events} sink, a COM object
 * with its own nine-slot vtable, safe whether IMAPI2 fires through {@code IDispatch::Invoke} or the direct slots.
 * It, the burn's {@code WriteEventSink} and {@code ImageStream} are COM objects written in Java on one base,
 * {@code JavaComObject} (vtable, reference count, {@code QueryInterface}, keep-alive), the sinks through
 * {@code JavaEventSink} (their {@code IDispatch} entries).</li>
 * <li>{@code JnaImapi2} and its {@code Jna*} helpers, with {@code ComLibraries}, {@code ComVtable} and
 * {@code OleStrings}: the real binding (vtable calls, our own BSTR and SAFEARRAY ownership), created only on Windows;
 * the tests run it on Linux against a native stand-in for the OLE DLLs.</li>
 * </ul>
 *
 * <p>Every identifier is listed with its source in the project's {@code docs/imapi2-reference.md}; a test compares
 * the code with that table.
 */
@NullMarked
package io.discagent.agent.backend.windows;

import org.jspecify.annotations.NullMarked;
