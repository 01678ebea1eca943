//! A serialized event with the byte offsets of its per-event fields, so a request body is built
//! by copying bytes and writing a few digits, not by serializing JSON on the hot path.

use super::generate::{SEQ_MARK, SEQ_WIDTH, TIME_MARK, TIME_WIDTH, USER_MARK};

/// A field written per event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The event sequence number, 12 lowercase hex digits (message id suffix).
    Seq,
    /// The user number, zero-padded decimal of the run's user width.
    User,
    /// The event timestamp, 24 bytes of ISO-8601 UTC.
    Time,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    offset: usize,
    field: Field,
}

/// Values written into one event.
#[derive(Debug, Clone, Copy)]
pub struct Fill<'a> {
    pub seq: u64,
    pub user: u64,
    pub time: &'a [u8; TIME_WIDTH],
}

/// A placeholder run that does not have the width its field needs.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("placeholder `{mark}` at byte {offset} is {found} bytes long, expected {expected}")]
pub struct TemplateError {
    mark: char,
    offset: usize,
    found: usize,
    expected: usize,
}

/// One serialized event with its placeholder positions.
#[derive(Debug, Clone)]
pub struct Template {
    bytes: Vec<u8>,
    slots: Vec<Slot>,
    user_width: usize,
}

impl Template {
    /// Finds every placeholder run in `bytes`; each must have exactly its field's width.
    pub fn new(bytes: Vec<u8>, user_width: usize) -> Result<Self, TemplateError> {
        let mut slots = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            let (field, expected) = match bytes[i] {
                SEQ_MARK => (Field::Seq, SEQ_WIDTH),
                USER_MARK => (Field::User, user_width),
                TIME_MARK => (Field::Time, TIME_WIDTH),
                _ => {
                    i += 1;
                    continue;
                }
            };
            let mark = bytes[i];
            let found = bytes[i..].iter().take_while(|b| **b == mark).count();
            if found != expected {
                return Err(TemplateError {
                    mark: char::from(mark),
                    offset: i,
                    found,
                    expected,
                });
            }
            slots.push(Slot { offset: i, field });
            i += found;
        }
        Ok(Self {
            bytes,
            slots,
            user_width,
        })
    }

    /// Serialized length in bytes (the same once filled).
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// How many times `field` is written per event.
    pub fn count(&self, field: Field) -> usize {
        self.slots.iter().filter(|slot| slot.field == field).count()
    }

    /// Appends the event to `out` with its placeholders filled. `fill.user` must have at most
    /// `user_width` decimal digits and `fill.seq` at most 12 hex digits (checked by the config).
    pub fn write(&self, fill: &Fill<'_>, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(&self.bytes);
        let event = &mut out[start..];
        for slot in &self.slots {
            match slot.field {
                Field::Seq => write_hex(&mut event[slot.offset..slot.offset + SEQ_WIDTH], fill.seq),
                Field::User => write_decimal(&mut event[slot.offset..slot.offset + self.user_width], fill.user),
                Field::Time => event[slot.offset..slot.offset + TIME_WIDTH].copy_from_slice(fill.time),
            }
        }
    }
}

/// Writes `value` as zero-padded lowercase hex filling `out` (high digits dropped if too long).
pub fn write_hex(out: &mut [u8], mut value: u64) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for byte in out.iter_mut().rev() {
        *byte = DIGITS[(value & 0xF) as usize];
        value >>= 4;
    }
}

/// Writes `value` as zero-padded decimal filling `out` (high digits dropped if too long).
pub fn write_decimal(out: &mut [u8], mut value: u64) {
    for byte in out.iter_mut().rev() {
        *byte = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIME: &[u8; TIME_WIDTH] = b"2026-01-02T03:04:05.678Z";

    #[test]
    fn placeholders_are_filled_in_place() {
        let raw = br#"{"id":"m-~~~~~~~~~~~~","u":"user-^^^","e":"user-^^^@x","t":"````````````````````````"}"#;
        let template = Template::new(raw.to_vec(), 3).expect("valid template");
        assert_eq!(template.count(Field::User), 2);
        let mut out = b"[".to_vec();
        template.write(
            &Fill {
                seq: 0xabc,
                user: 42,
                time: TIME,
            },
            &mut out,
        );
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            r#"[{"id":"m-000000000abc","u":"user-042","e":"user-042@x","t":"2026-01-02T03:04:05.678Z"}"#
        );
    }

    #[test]
    fn a_placeholder_of_the_wrong_width_is_rejected() {
        let err = Template::new(br#"{"u":"^^^^"}"#.to_vec(), 3).expect_err("too wide");
        assert_eq!(err.to_string(), "placeholder `^` at byte 6 is 4 bytes long, expected 3");
    }

    #[test]
    fn fixed_width_writers_pad_with_zeros() {
        let mut hex = [0_u8; 12];
        write_hex(&mut hex, 0xFFFF_FFFF_FFFF);
        assert_eq!(&hex, b"ffffffffffff");
        write_hex(&mut hex, 1);
        assert_eq!(&hex, b"000000000001");
        let mut dec = [0_u8; 6];
        write_decimal(&mut dec, 999_999);
        assert_eq!(&dec, b"999999");
        write_decimal(&mut dec, 7);
        assert_eq!(&dec, b"000007");
    }
}
