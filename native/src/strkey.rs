//! Stellar strkey decoding for account ids (`G...`): RFC 4648 base32 without padding,
//! version byte 6 << 3, 32-byte ed25519 key, CRC16-XModem checksum (little-endian).

const VERSION_ACCOUNT_ID: u8 = 6 << 3;

pub fn crc16_xmodem(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &b in data {
        crc ^= (b as u16) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

fn base32_decode(s: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(s.len() * 5 / 8);
    let mut acc: u64 = 0;
    let mut bits = 0u32;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => return Err(format!("invalid base32 character {:?}", c as char)),
        } as u64;
        acc = (acc << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if acc != 0 {
        return Err("non-canonical base32 (unused trailing bits set)".into());
    }
    Ok(out)
}

/// Decode a `G...` account id into its raw 32-byte ed25519 public key.
pub fn decode_account_id(s: &str) -> Result<[u8; 32], String> {
    if s.len() != 56 {
        return Err(format!("account id must be 56 characters, got {}", s.len()));
    }
    let raw = base32_decode(s)?;
    if raw.len() != 35 {
        return Err(format!(
            "decoded strkey has {} bytes, expected 35",
            raw.len()
        ));
    }
    if raw[0] != VERSION_ACCOUNT_ID {
        return Err("not an account id (version byte is not 'G')".into());
    }
    let crc = crc16_xmodem(&raw[..33]);
    if crc.to_le_bytes() != [raw[33], raw[34]] {
        return Err("strkey checksum mismatch".into());
    }
    let mut k = [0u8; 32];
    k.copy_from_slice(&raw[1..33]);
    Ok(k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc16_xmodem_check_value() {
        assert_eq!(crc16_xmodem(b"123456789"), 0x31c3);
    }

    #[test]
    fn decodes_the_zero_key_and_refuses_damage() {
        let zero = "GAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAWHF";
        assert_eq!(decode_account_id(zero), Ok([0u8; 32]));
        let bad_crc = zero.replace("WHF", "WHG");
        assert!(decode_account_id(&bad_crc)
            .unwrap_err()
            .contains("checksum"));
        assert!(decode_account_id(&zero[1..]).unwrap_err().contains("56"));
        let seed = format!("S{}", &zero[1..]);
        assert!(decode_account_id(&seed).is_err());
    }
}
