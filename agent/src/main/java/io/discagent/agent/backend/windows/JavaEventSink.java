package io.discagent.agent.backend.windows;

import com.sun.jna.Callback;
import com.sun.jna.Pointer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * An event sink written in Java: a {@link JavaComObject} for one of IMAPI2's event dispinterfaces
 * ({@code DDiscMaster2Events}, {@code DDiscFormat2DataEvents}), which IMAPI2 may call either way (reference 3.2: which
 * one is not documented): through {@code IDispatch::Invoke} with the event's DISPID, or through the event's own slot
 * after {@code IDispatch}'s seven. This class holds the {@code IDispatch} part, the same for every such sink:
 * <ul>
 * <li>{@code QueryInterface} answers {@code IDispatch} and the events' interface besides {@code IUnknown};</li>
 * <li>no type information: {@code GetTypeInfoCount} gives 0, {@code GetTypeInfo} {@code DISP_E_BADINDEX};</li>
 * <li>{@code GetIDsOfNames} knows the event names the subclass declares (any case), and no argument names;</li>
 * <li>{@code Invoke} answers {@code DISP_E_MEMBERNOTFOUND} for another DISPID, {@code DISP_E_BADPARAMCOUNT} unless the
 * event's two positional arguments came, {@code DISP_E_NONAMEDARGS} for named ones, and hands the last argument
 * ({@code rgvarg[0]}) to {@link #invokeEvent}; a {@code DISP_E_TYPEMISMATCH} from there names argument 0 in
 * {@code puArgErr}.</li>
 * </ul>
 *
 * <p>Both of IMAPI2's events have two arguments, the source first; the sinks use only the last. The entries run on
 * whatever thread IMAPI2 calls from, as {@link JavaComObject} describes.
 */
abstract class JavaEventSink extends JavaComObject {

    private static final int DISPID_UNKNOWN = -1;

    interface GetTypeInfoCountCallback extends Callback {
        int invoke(Pointer self, @Nullable Pointer pctinfo);
    }

    interface GetTypeInfoCallback extends Callback {
        int invoke(Pointer self, int iTInfo, int lcid, @Nullable Pointer ppTInfo);
    }

    interface GetIDsOfNamesCallback extends Callback {
        int invoke(Pointer self, @Nullable Pointer riid, @Nullable Pointer rgszNames, int cNames, int lcid,
                @Nullable Pointer rgDispId);
    }

    interface InvokeCallback extends Callback {
        int invoke(Pointer self, int dispIdMember, @Nullable Pointer riid, int lcid, short wFlags,
                @Nullable Pointer pDispParams, @Nullable Pointer pVarResult, @Nullable Pointer pExcepInfo,
                @Nullable Pointer puArgErr);
    }

    private final Map<String, Integer> events;

    /**
     * @param description what the sink is, for the log
     * @param stdcall whether the entry points must use {@code __stdcall} (32-bit Windows)
     * @param eventsIid the IID of the events' dispinterface
     * @param events each event's name and DISPID
     */
    JavaEventSink(String description, boolean stdcall, String eventsIid, Map<String, Integer> events) {
        super(description, stdcall, Imapi2Ids.IID_IDISPATCH, eventsIid);
        this.events = Map.copyOf(events);
    }

    /**
     * Writes the vtable: {@code IUnknown}'s and {@code IDispatch}'s seven entries, then the events' own slots from
     * slot 7 on. The subclass calls it once, at the end of its constructor.
     */
    final void writeEventVtable(Callback... eventSlots) {
        List<Callback> own = new ArrayList<>();
        own.add(entry(GetTypeInfoCountCallback.class, this::getTypeInfoCount));
        own.add(entry(GetTypeInfoCallback.class, this::getTypeInfo));
        own.add(entry(GetIDsOfNamesCallback.class, this::getIDsOfNames));
        own.add(entry(InvokeCallback.class, this::invoke));
        own.addAll(List.of(eventSlots));
        writeVtable(own.toArray(new Callback[0]));
    }

    /**
     * An event that came through {@code Invoke}, its arguments checked.
     *
     * @param dispId one of the declared DISPIDs
     * @param lastArgument {@code rgvarg[0]}, the event's last argument, a {@code VARIANT}
     * @return {@code S_OK}, or {@code DISP_E_TYPEMISMATCH} when the argument is not of the event's type
     */
    abstract int invokeEvent(int dispId, Pointer lastArgument);

    private int getTypeInfoCount(Pointer self, @Nullable Pointer pctinfo) {
        if (pctinfo == null) {
            return ComCodes.E_POINTER;
        }
        pctinfo.setInt(0, 0);
        return ComCodes.S_OK;
    }

    private int getTypeInfo(Pointer self, int iTInfo, int lcid, @Nullable Pointer ppTInfo) {
        if (ppTInfo != null) {
            ppTInfo.setPointer(0, null);
        }
        return ComCodes.DISP_E_BADINDEX;
    }

    /** The first name is the member's, the others its arguments': only a member name is known. */
    private int getIDsOfNames(Pointer self, @Nullable Pointer riid, @Nullable Pointer rgszNames, int cNames, int lcid,
            @Nullable Pointer rgDispId) {
        if (rgszNames == null || rgDispId == null) {
            return ComCodes.E_POINTER;
        }
        int result = ComCodes.S_OK;
        for (int i = 0; i < cNames; i++) {
            int dispId = DISPID_UNKNOWN;
            if (i == 0) {
                dispId = dispIdOf(ComMemory.readOleString(rgszNames.getPointer(0)));
            }
            rgDispId.setInt(4L * i, dispId);
            if (dispId == DISPID_UNKNOWN) {
                result = ComCodes.DISP_E_UNKNOWNNAME;
            }
        }
        return result;
    }

    private int dispIdOf(@Nullable String name) {
        for (Map.Entry<String, Integer> event : events.entrySet()) {
            if (event.getKey().equalsIgnoreCase(name)) {
                return event.getValue();
            }
        }
        return DISPID_UNKNOWN;
    }

    private int invoke(Pointer self, int dispIdMember, @Nullable Pointer riid, int lcid, short wFlags,
            @Nullable Pointer pDispParams, @Nullable Pointer pVarResult, @Nullable Pointer pExcepInfo,
            @Nullable Pointer puArgErr) {
        if (!events.containsValue(dispIdMember)) {
            return ComCodes.DISP_E_MEMBERNOTFOUND;
        }
        if (pDispParams == null || ComMemory.argumentCount(pDispParams) != 2) {
            return ComCodes.DISP_E_BADPARAMCOUNT;
        }
        if (ComMemory.namedArgumentCount(pDispParams) != 0) {
            return ComCodes.DISP_E_NONAMEDARGS;
        }
        Pointer lastArgument = ComMemory.argument(pDispParams, 0); // rgvarg[0] is the last parameter
        int result = lastArgument == null ? ComCodes.DISP_E_TYPEMISMATCH : invokeEvent(dispIdMember, lastArgument);
        if (result == ComCodes.DISP_E_TYPEMISMATCH && puArgErr != null) {
            puArgErr.setInt(0, 0);
        }
        return result;
    }
}
