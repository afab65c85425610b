package io.discagent.agent.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;
import io.discagent.agent.backend.windows.Imapi2.ImageReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The {@code IStream} handed to {@code IDiscFormat2Data::Write}, called through its function pointers as IMAPI2 would:
 * {@code Stat} for the size, {@code Read} in IMAPI2's chunks until the end ({@code S_FALSE} on a short read),
 * {@code Seek}, and the refusal of everything that would change the image.
 */
class ImageStreamTests {

    static final int SIZE = 5 * 2048 + 100;
    final byte[] bytes = new byte[SIZE];
    boolean failReads;
    final ImageReader reader = new ImageReader() {
        @Override
        public long size() {
            return SIZE;
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            if (failReads) {
                throw new IOException("the disk is gone");
            }
            if (position >= SIZE) {
                return -1;
            }
            int n = (int) Math.min(dst.remaining(), SIZE - position);
            dst.put(bytes, (int) position, n);
            return n;
        }
    };
    final ImageStream stream;

    ImageStreamTests() {
        new Random(7).nextBytes(bytes);
        stream = new ImageStream(reader);
    }

    @Test
    void theVtableHasFourteenEntriesInObjidlOrder() {
        assertThat(ImageStream.VTABLE_SLOTS).isEqualTo(14);
        JavaComObjectTests.assertVtable(stream, JavaComObject.QueryInterfaceCallback.class,
                JavaComObject.AddRefCallback.class, JavaComObject.ReleaseCallback.class,
                ImageStream.ReadCallback.class, ImageStream.WriteCallback.class, ImageStream.SeekCallback.class,
                ImageStream.SetSizeCallback.class, ImageStream.CopyToCallback.class,
                ImageStream.CommitCallback.class, ImageStream.RevertCallback.class,
                ImageStream.RegionCallback.class, ImageStream.RegionCallback.class, ImageStream.StatCallback.class,
                ImageStream.CloneCallback.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"{00000000-0000-0000-C000-000000000046}", "{0000000C-0000-0000-C000-000000000046}",
            "{0C733A30-2A1C-11CE-ADE5-00AA0044773D}"})
    void queryInterfaceAnswersIUnknownIStreamAndISequentialStream(String iid) {
        JavaComObjectTests.assertAnswers(stream, iid);
        JavaComObjectTests.assertRefuses(stream, ComEventSinkTests.IDISPATCH);
        assertThat(stream.dispose()).isFalse();
    }

    @Test
    void statGivesTheSizeOfTheImage() {
        Memory statstg = new Memory(ImageStream.STATSTG_SIZE);
        statstg.setPointer(0, new Memory(1)); // garbage where the name goes: Stat must clear it
        assertThat(NativeCom.call(stream.pointer(), Imapi2Vtables.STREAM_STAT, statstg, 1)).isEqualTo(ComCodes.S_OK);
        assertThat(statstg.getPointer(0)).isNull();
        assertThat(statstg.getInt(Native.POINTER_SIZE)).isEqualTo(Imapi2Vtables.STGTY_STREAM);
        assertThat(statstg.getLong(ImageStream.STATSTG_CB_SIZE)).isEqualTo(SIZE);
        // STATSTG on 64-bit: pwcsName 8, type 4, padding 4, cbSize at 16
        assertThat(ImageStream.STATSTG_CB_SIZE).isEqualTo(Native.POINTER_SIZE == 8 ? 16 : 8);
    }

    @Test
    void readsInChunksGiveTheWholeImageThenSFalseAtTheEnd() {
        byte[] copy = new byte[SIZE];
        Memory buffer = new Memory(4096);
        IntByReference got = new IntByReference();
        int offset = 0;
        int hr;
        do {
            hr = NativeCom.call(stream.pointer(), Imapi2Vtables.STREAM_READ, buffer, 4096, got.getPointer());
            buffer.read(0, copy, offset, got.getValue());
            offset += got.getValue();
        } while (hr == ComCodes.S_OK);
        assertThat(hr).isEqualTo(ImageStream.S_FALSE);
        assertThat(offset).isEqualTo(SIZE);
        assertThat(copy).isEqualTo(bytes);
        assertThat(stream.bytesRead()).isEqualTo(SIZE);
        assertThat(NativeCom.call(stream.pointer(), Imapi2Vtables.STREAM_READ, buffer, 4096, got.getPointer()))
                .isEqualTo(ImageStream.S_FALSE);
        assertThat(got.getValue()).isZero();
    }

    @Test
    void seekMovesTheReadPosition() {
        LongByReference at = new LongByReference();
        assertThat(NativeCom.call(stream.pointer(), Imapi2Vtables.STREAM_SEEK, 2048L, Imapi2Vtables.STREAM_SEEK_SET,
                at.getPointer())).isEqualTo(ComCodes.S_OK);
        assertThat(at.getValue()).isEqualTo(2048);
        assertThat(NativeCom.call(stream.pointer(), Imapi2Vtables.STREAM_SEEK, -100L, Imapi2Vtables.STREAM_SEEK_END,
                at.getPointer())).isEqualTo(ComCodes.S_OK);
        assertThat(at.getValue()).isEqualTo(SIZE - 100);
        Memory buffer = new Memory(100);
        IntByReference got = new IntByReference();
        assertThat(NativeCom.call(stream.pointer(), Imapi2Vtables.STREAM_READ, buffer, 100, got.getPointer()))
                .isEqualTo(ComCodes.S_OK);
        assertThat(buffer.getByteArray(0, 100)).isEqualTo(java.util.Arrays.copyOfRange(bytes, SIZE - 100, SIZE));
        assertThat(NativeCom.call(stream.pointer(), Imapi2Vtables.STREAM_SEEK, -1L, Imapi2Vtables.STREAM_SEEK_SET,
                at.getPointer())).isEqualTo(ImageStream.STG_E_SEEKERROR);
        assertThat(NativeCom.call(stream.pointer(), Imapi2Vtables.STREAM_SEEK, 0L, 7, at.getPointer()))
                .isEqualTo(ComCodes.E_INVALIDARG);
    }

    @Test
    void theImageCannotBeChangedThroughTheStream() {
        Memory buffer = new Memory(16);
        IntByReference written = new IntByReference(-1);
        assertThat(NativeCom.call(stream.pointer(), Imapi2Vtables.STREAM_WRITE, buffer, 16, written.getPointer()))
                .isEqualTo(ImageStream.STG_E_ACCESSDENIED);
        assertThat(written.getValue()).isZero();
        assertThat(NativeCom.call(stream.pointer(), Imapi2Vtables.STREAM_SET_SIZE, 10L)).isEqualTo(ImageStream.STG_E_ACCESSDENIED);
        assertThat(NativeCom.call(stream.pointer(), Imapi2Vtables.STREAM_LOCK_REGION, 0L, 10L, 1)).isEqualTo(ImageStream.STG_E_INVALIDFUNCTION);
        PointerByReference clone = new PointerByReference(new Memory(1));
        assertThat(NativeCom.call(stream.pointer(), Imapi2Vtables.STREAM_CLONE, clone.getPointer())).isEqualTo(ImageStream.E_NOTIMPL);
        assertThat(clone.getValue()).isNull();
    }

    @Test
    void aFailingReadIsAReadFault() {
        failReads = true;
        IntByReference got = new IntByReference(-1);
        assertThat(NativeCom.call(stream.pointer(), Imapi2Vtables.STREAM_READ, new Memory(2048), 2048,
                got.getPointer())).isEqualTo(ImageStream.STG_E_READFAULT);
        assertThat(got.getValue()).isZero();
    }
}
