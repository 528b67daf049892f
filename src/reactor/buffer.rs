//! buffer: the per-connection read buffer (reassembles partial messages until an endpoint
//! consumes them) and write buffer (survives partial writes; the one path to the socket).

use std::io::{self, Read, Write};

/// Bytes read per `read` call; the read buffer grows by at most this much at a time.
const READ_CHUNK: usize = 16 * 1024;
/// Capacity an emptied buffer may keep. Above it the memory is released, so a thousand
/// idle endpoints cost a few hundred bytes each rather than their largest burst.
const IDLE_CAPACITY: usize = 4 * 1024;

/// Empties `bytes`, releasing its memory when it grew beyond [`IDLE_CAPACITY`].
fn clear_and_trim(bytes: &mut Vec<u8>) {
    if bytes.capacity() > IDLE_CAPACITY {
        *bytes = Vec::new();
    } else {
        bytes.clear();
    }
}

/// What one attempt to fill the read buffer found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filled {
    /// The socket has no more bytes for now (WouldBlock): wait for readiness.
    Drained,
    /// The buffer reached its limit or the per-call quota; the socket may hold more.
    Limited,
    /// The peer closed its side (read returned 0).
    Eof,
}

/// Received bytes not yet consumed by the endpoint. Partial messages stay until the rest
/// arrives; the endpoint consumes whole messages itself with `data` + `consume`.
#[derive(Debug)]
pub struct ReadBuffer {
    bytes: Vec<u8>,
    start: usize,
    limit: usize,
}

impl ReadBuffer {
    /// A buffer that holds at most `limit` unconsumed bytes (a few maximum-size messages).
    pub fn new(limit: usize) -> ReadBuffer {
        ReadBuffer {
            bytes: Vec::new(),
            start: 0,
            limit: limit.max(1),
        }
    }

    /// The unconsumed bytes, oldest first.
    pub fn data(&self) -> &[u8] {
        self.bytes.get(self.start..).unwrap_or(&[])
    }

    /// Number of unconsumed bytes.
    pub fn len(&self) -> usize {
        self.bytes.len() - self.start
    }

    /// True when nothing is buffered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when the buffer holds its limit: reading stops until the endpoint consumes.
    pub fn is_full(&self) -> bool {
        self.len() >= self.limit
    }

    /// Marks the first `count` bytes as handled (clamped to what is buffered).
    pub fn consume(&mut self, count: usize) {
        self.start = self.start.saturating_add(count).min(self.bytes.len());
        if self.start == self.bytes.len() {
            clear_and_trim(&mut self.bytes);
            self.start = 0;
        }
    }

    /// Appends bytes directly (tests and in-memory transports).
    pub fn extend(&mut self, bytes: &[u8]) {
        self.compact();
        self.bytes.extend_from_slice(bytes);
    }

    fn compact(&mut self) {
        if self.start > 0 {
            self.bytes.drain(..self.start);
            self.start = 0;
        }
    }

    /// Reads from `source` until it would block, the buffer is full, or `quota` bytes
    /// were read in this call (so one busy socket cannot hold the loop).
    ///
    /// Reads go through a chunk on the stack: the buffer grows only by the bytes received,
    /// never by a whole chunk per connection.
    pub fn fill_from(&mut self, source: &mut impl Read, quota: usize) -> io::Result<Filled> {
        self.compact();
        let mut chunk = [0u8; READ_CHUNK];
        let mut taken = 0usize;
        loop {
            if self.len() >= self.limit || taken >= quota {
                return Ok(Filled::Limited);
            }
            let room = (self.limit - self.len()).min(READ_CHUNK);
            let spare = chunk.get_mut(..room).unwrap_or_default();
            match source.read(spare) {
                Ok(0) => return Ok(Filled::Eof),
                Ok(count) => {
                    let read = spare.get(..count.min(room)).unwrap_or_default();
                    self.bytes.extend_from_slice(read);
                    taken += count;
                }
                Err(error) => match error.kind() {
                    io::ErrorKind::WouldBlock => return Ok(Filled::Drained),
                    io::ErrorKind::Interrupted => continue,
                    _ => return Err(error),
                },
            }
        }
    }
}

/// Bytes queued for the socket. Endpoints append whole messages; the reactor writes what the
/// kernel takes and keeps the rest, so messages are never interleaved.
#[derive(Debug)]
pub struct WriteBuffer {
    bytes: Vec<u8>,
    start: usize,
    high_water: usize,
}

impl WriteBuffer {
    /// A buffer that reports itself congested once `high_water` bytes are pending.
    pub fn new(high_water: usize) -> WriteBuffer {
        WriteBuffer {
            bytes: Vec::new(),
            start: 0,
            high_water: high_water.max(1),
        }
    }

    /// Appends one whole message (or several). Always accepted: the endpoint is expected to
    /// check `has_room` before encoding bulk data; urgent small messages may exceed the mark.
    pub fn push(&mut self, message: &[u8]) {
        self.compact();
        self.bytes.extend_from_slice(message);
    }

    /// Makes room at the front (what was written is dropped once it is half the vector).
    fn compact(&mut self) {
        if self.start > 0 && self.start >= self.bytes.len() / 2 {
            self.bytes.drain(..self.start);
            self.start = 0;
        }
    }

    /// Bytes still to be written.
    pub fn pending(&self) -> usize {
        self.bytes.len() - self.start
    }

    /// True when nothing waits to be written.
    pub fn is_empty(&self) -> bool {
        self.pending() == 0
    }

    /// False once the pending bytes reach the high-water mark: stop encoding bulk data.
    pub fn has_room(&self) -> bool {
        self.pending() < self.high_water
    }

    /// The pending bytes (tests and in-memory transports).
    pub fn data(&self) -> &[u8] {
        self.bytes.get(self.start..).unwrap_or(&[])
    }

    /// Drops the first `count` pending bytes, as if written.
    pub fn consume(&mut self, count: usize) {
        self.start = self.start.saturating_add(count).min(self.bytes.len());
        if self.start == self.bytes.len() {
            clear_and_trim(&mut self.bytes);
            self.start = 0;
        }
    }

    /// Writes until empty or the sink would block. Returns true when everything was written.
    pub fn flush_to(&mut self, sink: &mut impl Write) -> io::Result<bool> {
        while !self.is_empty() {
            match sink.write(self.data()) {
                Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero)),
                Ok(count) => self.consume(count),
                Err(error) => match error.kind() {
                    io::ErrorKind::WouldBlock => return Ok(false),
                    io::ErrorKind::Interrupted => continue,
                    _ => return Err(error),
                },
            }
        }
        Ok(true)
    }
}

/// The peer encodes its messages straight into the buffer: whole messages only, appended
/// after what waits (the same rule as [`WriteBuffer::push`]).
impl crate::peer::Output for WriteBuffer {
    fn tail(&mut self) -> &mut Vec<u8> {
        self.compact();
        &mut self.bytes
    }

    fn queued(&self) -> usize {
        self.pending()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out pre-cut pieces, then WouldBlock (or EOF when asked).
    struct Pieces {
        pieces: Vec<Vec<u8>>,
        eof: bool,
    }

    impl Read for Pieces {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.pieces.is_empty() {
                return if self.eof {
                    Ok(0)
                } else {
                    Err(io::ErrorKind::WouldBlock.into())
                };
            }
            let piece = self.pieces.remove(0);
            let n = piece.len().min(buf.len());
            buf[..n].copy_from_slice(&piece[..n]);
            if n < piece.len() {
                self.pieces.insert(0, piece[n..].to_vec());
            }
            Ok(n)
        }
    }

    /// A writer that accepts `budget` bytes in chunks of at most `chunk`, then WouldBlock.
    struct Trickle {
        taken: Vec<u8>,
        budget: usize,
        chunk: usize,
    }

    impl Write for Trickle {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.budget == 0 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let n = buf.len().min(self.chunk).min(self.budget);
            self.taken.extend_from_slice(&buf[..n]);
            self.budget -= n;
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// Frames "length byte + payload" messages, the way an endpoint would.
    fn take_message(buf: &mut ReadBuffer) -> Option<Vec<u8>> {
        let len = usize::from(*buf.data().first()?);
        let body = buf.data().get(1..1 + len)?.to_vec();
        buf.consume(1 + len);
        Some(body)
    }

    #[test]
    fn split_messages_are_reassembled() {
        let mut source = Pieces {
            pieces: vec![vec![3, b'a'], vec![b'b', b'c', 2, b'x']],
            eof: false,
        };
        let mut buf = ReadBuffer::new(1024);
        assert_eq!(
            buf.fill_from(&mut source, usize::MAX).unwrap(),
            Filled::Drained
        );
        assert_eq!(take_message(&mut buf).unwrap(), b"abc");
        assert_eq!(
            take_message(&mut buf),
            None,
            "half a message stays buffered"
        );
        assert_eq!(buf.data(), &[2, b'x']);
        source.pieces.push(vec![b'y']);
        source.eof = true;
        assert_eq!(buf.fill_from(&mut source, usize::MAX).unwrap(), Filled::Eof);
        assert_eq!(take_message(&mut buf).unwrap(), b"xy");
        assert!(buf.is_empty());
    }

    #[test]
    fn reading_stops_at_the_limit_and_the_quota() {
        let mut source = Pieces {
            pieces: vec![vec![7; 100]],
            eof: false,
        };
        let mut buf = ReadBuffer::new(40);
        assert_eq!(
            buf.fill_from(&mut source, usize::MAX).unwrap(),
            Filled::Limited
        );
        assert_eq!(buf.len(), 40);
        assert!(buf.is_full());
        buf.consume(30);
        assert_eq!(buf.fill_from(&mut source, 5).unwrap(), Filled::Limited);
        assert_eq!(buf.len(), 40);
        buf.consume(1000);
        assert!(buf.is_empty());
    }

    #[test]
    fn partial_writes_keep_the_rest_in_order() {
        let mut out = WriteBuffer::new(8);
        out.push(b"hello ");
        out.push(b"world");
        assert!(!out.has_room());
        let mut sink = Trickle {
            taken: Vec::new(),
            budget: 4,
            chunk: 3,
        };
        assert!(!out.flush_to(&mut sink).unwrap());
        assert_eq!(out.data(), b"o world");
        out.push(b"!");
        sink.budget = 100;
        assert!(out.flush_to(&mut sink).unwrap());
        assert_eq!(sink.taken, b"hello world!");
        assert!(out.is_empty() && out.has_room());
    }

    #[test]
    fn memory_is_reused_after_partial_writes() {
        let mut out = WriteBuffer::new(1 << 20);
        let mut sink = Trickle {
            taken: Vec::new(),
            budget: 0,
            chunk: 7,
        };
        for _ in 0..1000 {
            out.push(&[1; 10]);
            sink.budget = 10;
            let _ = out.flush_to(&mut sink).unwrap();
        }
        assert!(out.pending() <= 10);
        assert!(
            out.bytes.capacity() <= 64,
            "capacity {}",
            out.bytes.capacity()
        );
    }

    #[test]
    fn buffers_grow_by_what_is_read_and_release_bursts() {
        let mut input = ReadBuffer::new(4 * 65_535);
        let mut source = Pieces {
            pieces: vec![vec![19; 19]],
            eof: false,
        };
        assert_eq!(
            input.fill_from(&mut source, 1 << 20).unwrap(),
            Filled::Drained
        );
        assert_eq!(input.len(), 19);
        // A keepalive costs its own size, not a whole read chunk.
        assert!(input.bytes.capacity() < 1024, "{}", input.bytes.capacity());
        source.pieces.push(vec![1; 100_000]);
        assert_eq!(
            input.fill_from(&mut source, 1 << 20).unwrap(),
            Filled::Drained
        );
        assert_eq!(input.len(), 100_019);
        input.consume(100_019);
        assert!(input.is_empty());
        assert!(input.bytes.capacity() <= IDLE_CAPACITY);

        let mut output = WriteBuffer::new(1 << 20);
        output.push(&[7; 50_000]);
        let mut sink = Trickle {
            taken: Vec::new(),
            budget: usize::MAX,
            chunk: 8192,
        };
        assert!(output.flush_to(&mut sink).unwrap());
        assert_eq!(sink.taken.len(), 50_000);
        assert!(output.bytes.capacity() <= IDLE_CAPACITY);
        // Small messages keep their allocation for reuse.
        output.push(&[0; 19]);
        let kept = output.bytes.capacity();
        assert!(output.flush_to(&mut sink).unwrap());
        assert_eq!(output.bytes.capacity(), kept);
    }
}
