package io.discagent.agent.backend.windows;

import com.sun.jna.Callback;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import io.discagent.agent.backend.windows.Imapi2.ImageReader;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import org.jspecify.annotations.Nullable;

/**
 * The image handed to {@code IDiscFormat2Data::Write}: a read-only {@code IStream} in native memory whose vtable (the
 * three {@code IUnknown} entries, {@code ISequentialStream}'s {@code Read} and {@code Write}, then {@code IStream}'s
 * nine, in {@code objidl.h}'s order) calls back into Java. It reads the agent's open image ({@link ImageReader}), so
 * what IMAPI2 writes is exactly what the agent opened (an {@code SHCreateStreamOnFile} over its path would open the
 * file again). {@code Read} and {@code Seek} move one position; {@code Stat} reports the size ({@code STGTY_STREAM},
 * no name); the writing and locking methods are refused. The object is thread-safe: IMAPI2 may read it from a thread
 * of its own. {@code QueryInterface} (answering {@code IUnknown}, {@code ISequentialStream} and {@code IStream}) and
 * the reference count are those of every {@link JavaComObject}.
 */
final class ImageStream extends JavaComObject {

    private static final System.Logger LOG = System.getLogger(ImageStream.class.getName());
    /** {@code STG_E_ACCESSDENIED}: the stream is read-only. */
    static final int STG_E_ACCESSDENIED = 0x80030005;
    /** {@code STG_E_INVALIDFUNCTION}: no region locking. */
    static final int STG_E_INVALIDFUNCTION = 0x80030001;
    /** {@code E_NOTIMPL}. */
    static final int E_NOTIMPL = 0x80004001;
    /** {@code STG_E_INVALIDPOINTER}. */
    static final int STG_E_INVALIDPOINTER = 0x80030009;
    /** {@code STG_E_READFAULT}: reading the image failed. */
    static final int STG_E_READFAULT = 0x8003001E;
    /** {@code STG_E_SEEKERROR}: a position before the start. */
    static final int STG_E_SEEKERROR = 0x80030019;
    /** {@code S_FALSE}: {@code Read} returned fewer bytes than asked, at the end. */
    static final int S_FALSE = 1;

    interface RevertCallback extends Callback {
        int invoke(Pointer self);
    }

    interface ReadCallback extends Callback {
        int invoke(Pointer self, @Nullable Pointer pv, int cb, @Nullable Pointer pcbRead);
    }

    interface WriteCallback extends Callback {
        int invoke(Pointer self, @Nullable Pointer pv, int cb, @Nullable Pointer pcbWritten);
    }

    interface SeekCallback extends Callback {
        int invoke(Pointer self, long dlibMove, int dwOrigin, @Nullable Pointer plibNewPosition);
    }

    interface SetSizeCallback extends Callback {
        int invoke(Pointer self, long libNewSize);
    }

    interface CopyToCallback extends Callback {
        int invoke(Pointer self, @Nullable Pointer pstm, long cb, @Nullable Pointer pcbRead,
                @Nullable Pointer pcbWritten);
    }

    interface CommitCallback extends Callback {
        int invoke(Pointer self, int grfCommitFlags);
    }

    interface RegionCallback extends Callback {
        int invoke(Pointer self, long libOffset, long cb, int dwLockType);
    }

    interface StatCallback extends Callback {
        int invoke(Pointer self, @Nullable Pointer pstatstg, int grfStatFlag);
    }

    interface CloneCallback extends Callback {
        int invoke(Pointer self, @Nullable Pointer ppstm);
    }

    /** The number of vtable entries. */
    static final int VTABLE_SLOTS = 14;

    /** The offset of {@code cbSize} in a {@code STATSTG}: after the name pointer and the type, 8-byte aligned. */
    static final int STATSTG_CB_SIZE = (Native.POINTER_SIZE + 4 + 7) & ~7;
    /** The size of a {@code STATSTG}. */
    static final int STATSTG_SIZE = STATSTG_CB_SIZE + 64;

    private final ImageReader image;
    private long position;
    private long bytesRead;

    /** A stream over {@code image}, in this process's COM calling convention. */
    ImageStream(ImageReader image) {
        this(image, STDCALL);
    }

    ImageStream(ImageReader image, boolean stdcall) {
        super("the image stream", stdcall, Imapi2Ids.IID_ISEQUENTIAL_STREAM, Imapi2Ids.IID_ISTREAM);
        this.image = image;
        writeVtable(
                entry(ReadCallback.class, this::read),
                entry(WriteCallback.class, (self, pv, cb, written) -> {
                    if (written != null) {
                        written.setInt(0, 0);
                    }
                    return STG_E_ACCESSDENIED;
                }),
                entry(SeekCallback.class, this::seek),
                entry(SetSizeCallback.class, (self, size) -> STG_E_ACCESSDENIED),
                entry(CopyToCallback.class, (self, to, cb, r, w) -> E_NOTIMPL),
                entry(CommitCallback.class, (self, flags) -> ComCodes.S_OK),
                entry(RevertCallback.class, self -> ComCodes.S_OK),
                entry(RegionCallback.class, (self, o, cb, t) -> STG_E_INVALIDFUNCTION), // LockRegion
                entry(RegionCallback.class, (self, o, cb, t) -> STG_E_INVALIDFUNCTION), // UnlockRegion
                entry(StatCallback.class, this::stat),
                entry(CloneCallback.class, (self, clone) -> {
                    if (clone != null) {
                        clone.setPointer(0, null);
                    }
                    return E_NOTIMPL;
                }));
    }

    /** How many bytes {@code Read} handed out. */
    synchronized long bytesRead() {
        return bytesRead;
    }

    private synchronized int read(Pointer self, @Nullable Pointer pv, int cb, @Nullable Pointer pcbRead) {
        if (pv == null) {
            return STG_E_INVALIDPOINTER;
        }
        long wanted = Integer.toUnsignedLong(cb);
        int done = 0;
        try {
            while (done < wanted) {
                int chunk = (int) Math.min(wanted - done, 1 << 20);
                ByteBuffer buffer = ByteBuffer.allocate(chunk);
                int n = image.read(buffer, position);
                if (n <= 0) {
                    break;
                }
                pv.write(done, buffer.array(), 0, n);
                done += n;
                position += n;
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "reading the image for IMAPI2 failed at " + position, e);
            if (pcbRead != null) {
                pcbRead.setInt(0, done);
            }
            return STG_E_READFAULT;
        }
        bytesRead += done;
        if (pcbRead != null) {
            pcbRead.setInt(0, done);
        }
        return done < wanted ? S_FALSE : ComCodes.S_OK;
    }

    private synchronized int seek(Pointer self, long move, int origin, @Nullable Pointer newPosition) {
        long base = switch (origin) {
            case Imapi2Vtables.STREAM_SEEK_SET -> 0;
            case Imapi2Vtables.STREAM_SEEK_CUR -> position;
            case Imapi2Vtables.STREAM_SEEK_END -> image.size();
            default -> -1;
        };
        if (base < 0) {
            return ComCodes.E_INVALIDARG;
        }
        long target = base + move;
        if (target < 0) {
            return STG_E_SEEKERROR;
        }
        position = target;
        if (newPosition != null) {
            newPosition.setLong(0, position);
        }
        return ComCodes.S_OK;
    }

    private int stat(Pointer self, @Nullable Pointer statstg, int flags) {
        if (statstg == null) {
            return STG_E_INVALIDPOINTER;
        }
        statstg.clear(STATSTG_SIZE); // no name (pwcsName NULL), no times, no class
        statstg.setInt(Native.POINTER_SIZE, Imapi2Vtables.STGTY_STREAM);
        statstg.setLong(STATSTG_CB_SIZE, image.size());
        return ComCodes.S_OK;
    }
}
