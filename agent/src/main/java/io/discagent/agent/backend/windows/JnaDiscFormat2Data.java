package io.discagent.agent.backend.windows;

import com.sun.jna.Pointer;
import com.sun.jna.platform.win32.Guid.IID;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import com.sun.jna.ptr.ShortByReference;
import io.discagent.agent.backend.windows.Imapi2.DiscFormat2Data;
import io.discagent.agent.backend.windows.Imapi2.DiscRecorder;
import io.discagent.agent.backend.windows.Imapi2.ImageReader;
import io.discagent.agent.backend.windows.Imapi2.WriteProgressListener;
import java.lang.System.Logger.Level;
import java.util.List;

/**
 * {@code IDiscFormat2Data} through its vtable, as {@link JnaDiscRecorder} calls {@code IDiscRecorder2}: every method
 * returns its HRESULT (a failure is thrown as a {@code COMException} carrying it), every BSTR and SAFEARRAY is freed on
 * every path. {@link #write} hands IMAPI2 an {@link ImageStream} over the agent's image and advises a
 * {@link WriteEventSink} on the object's {@code DDiscFormat2DataEvents} connection point for the time of the write;
 * both are let go after it, whatever it returned. Used only on the thread that created it.
 */
final class JnaDiscFormat2Data implements DiscFormat2Data {

    private static final System.Logger LOG = System.getLogger(JnaDiscFormat2Data.class.getName());

    private final Pointer format;
    private final OleStrings strings;
    private boolean released;

    JnaDiscFormat2Data(Pointer format, OleStrings strings) {
        this.format = format;
        this.strings = strings;
    }

    @Override
    public void setRecorder(DiscRecorder recorder) {
        ComVtable.check(ComVtable.call(format, Imapi2Vtables.DATA_PUT_RECORDER, pointerOf(recorder)),
                Imapi2Call.PUT_RECORDER);
    }

    @Override
    public void setClientName(String clientName) {
        Pointer name = strings.allocate(clientName);
        try {
            ComVtable.check(ComVtable.call(format, Imapi2Vtables.DATA_PUT_CLIENT_NAME, name),
                    Imapi2Call.PUT_CLIENT_NAME);
        } finally {
            strings.free(name);
        }
    }

    @Override
    public boolean isCurrentMediaSupported(DiscRecorder recorder) {
        ShortByReference value = new ShortByReference();
        ComVtable.check(ComVtable.call(format, Imapi2Vtables.FORMAT_IS_CURRENT_MEDIA_SUPPORTED, pointerOf(recorder),
                value.getPointer()), Imapi2Call.IS_CURRENT_MEDIA_SUPPORTED);
        return value.getValue() != Imapi2Vtables.VARIANT_FALSE;
    }

    @Override
    public boolean mediaHeuristicallyBlank() {
        ShortByReference value = new ShortByReference();
        ComVtable.check(ComVtable.call(format, Imapi2Vtables.FORMAT_GET_MEDIA_HEURISTICALLY_BLANK,
                value.getPointer()), Imapi2Call.MEDIA_HEURISTICALLY_BLANK);
        return value.getValue() != Imapi2Vtables.VARIANT_FALSE;
    }

    @Override
    public List<Integer> supportedMediaTypes() {
        PointerByReference array = new PointerByReference();
        ComVtable.check(ComVtable.call(format, Imapi2Vtables.FORMAT_GET_SUPPORTED_MEDIA_TYPES, array.getPointer()),
                Imapi2Call.SUPPORTED_MEDIA_TYPES);
        return strings.readIntsAndDestroy(array.getValue());
    }

    @Override
    public int currentPhysicalMediaType() {
        return integer(Imapi2Vtables.DATA_GET_CURRENT_PHYSICAL_MEDIA_TYPE, Imapi2Call.CURRENT_PHYSICAL_MEDIA_TYPE);
    }

    @Override
    public int currentMediaStatus() {
        return integer(Imapi2Vtables.DATA_GET_CURRENT_MEDIA_STATUS, Imapi2Call.CURRENT_MEDIA_STATUS);
    }

    @Override
    public int totalSectorsOnMedia() {
        return integer(Imapi2Vtables.DATA_GET_TOTAL_SECTORS_ON_MEDIA, Imapi2Call.TOTAL_SECTORS_ON_MEDIA);
    }

    @Override
    public int freeSectorsOnMedia() {
        return integer(Imapi2Vtables.DATA_GET_FREE_SECTORS_ON_MEDIA, Imapi2Call.FREE_SECTORS_ON_MEDIA);
    }

    @Override
    public void setForceMediaToBeClosed(boolean close) {
        ComVtable.check(ComVtable.call(format, Imapi2Vtables.DATA_PUT_FORCE_MEDIA_TO_BE_CLOSED,
                close ? Imapi2Vtables.VARIANT_TRUE : Imapi2Vtables.VARIANT_FALSE),
                Imapi2Call.PUT_FORCE_MEDIA_TO_BE_CLOSED);
    }

    @Override
    public void setWriteSpeed(int sectorsPerSecond, boolean pureCav) {
        ComVtable.check(ComVtable.call(format, Imapi2Vtables.DATA_SET_WRITE_SPEED, sectorsPerSecond,
                pureCav ? Imapi2Vtables.VARIANT_TRUE : Imapi2Vtables.VARIANT_FALSE), Imapi2Call.SET_WRITE_SPEED);
    }

    @Override
    public void setBurnVerificationLevel(int level) {
        PointerByReference verification = new PointerByReference();
        ComVtable.check(ComVtable.queryInterface(format, Imapi2Ids.IID_IBURN_VERIFICATION, verification),
                "QueryInterface(IBurnVerification)");
        try {
            ComVtable.check(ComVtable.call(verification.getValue(), Imapi2Vtables.VERIFICATION_PUT_LEVEL, level),
                    Imapi2Call.PUT_BURN_VERIFICATION_LEVEL);
        } finally {
            ComVtable.release(verification.getValue());
        }
    }

    /**
     * Advises the write event sink, calls {@code Write(IStream*)} and returns when IMAPI2 does; unadvises and lets go
     * of the sink and the stream afterwards, whatever happened.
     */
    @Override
    public void write(ImageReader image, WriteProgressListener progress) {
        ImageStream stream = new ImageStream(image);
        WriteEventSink sink = new WriteEventSink(progress);
        Pointer point = null;
        int cookie = 0;
        try {
            point = connectionPoint();
            IntByReference advised = new IntByReference();
            ComVtable.check(ComVtable.call(point, Imapi2Vtables.POINT_ADVISE, sink.pointer(), advised.getPointer()),
                    Imapi2Call.ADVISE_DATA_EVENTS);
            cookie = advised.getValue();
            ComVtable.check(ComVtable.call(format, Imapi2Vtables.DATA_WRITE, stream.pointer()), Imapi2Call.WRITE);
        } finally {
            if (point != null) {
                try {
                    if (cookie != 0) {
                        ComVtable.check(ComVtable.call(point, Imapi2Vtables.POINT_UNADVISE, cookie),
                                Imapi2Call.UNADVISE_DATA_EVENTS);
                    }
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "unadvising the write event sink failed", e);
                } finally {
                    ComVtable.release(point);
                }
            }
            sink.dispose();
            stream.dispose();
        }
    }

    @Override
    public void cancelWrite() {
        ComVtable.check(ComVtable.call(format, Imapi2Vtables.DATA_CANCEL_WRITE), Imapi2Call.CANCEL_WRITE);
    }

    @Override
    public void release() {
        if (!released) {
            released = true;
            ComVtable.release(format);
        }
    }

    /** The object's {@code DDiscFormat2DataEvents} connection point (its reference is the caller's). */
    private Pointer connectionPoint() {
        PointerByReference containerRef = new PointerByReference();
        ComVtable.check(ComVtable.queryInterface(format, Imapi2Ids.IID_ICONNECTION_POINT_CONTAINER, containerRef),
                "QueryInterface(IConnectionPointContainer)");
        Pointer container = containerRef.getValue();
        try {
            IID events = new IID(Imapi2Ids.IID_DDISC_FORMAT2_DATA_EVENTS);
            events.write();
            PointerByReference point = new PointerByReference();
            ComVtable.check(ComVtable.call(container, Imapi2Vtables.CONTAINER_FIND_CONNECTION_POINT,
                    events.getPointer(), point.getPointer()), "FindConnectionPoint(DDiscFormat2DataEvents)");
            return point.getValue();
        } finally {
            ComVtable.release(container);
        }
    }

    private int integer(int slot, Imapi2Call call) {
        IntByReference value = new IntByReference();
        ComVtable.check(ComVtable.call(format, slot, value.getPointer()), call);
        return value.getValue();
    }

    private static Pointer pointerOf(DiscRecorder recorder) {
        if (!(recorder instanceof JnaDiscRecorder jna)) {
            throw new IllegalArgumentException("a recorder of another COM layer: " + recorder);
        }
        return jna.pointer();
    }
}
