import { MalformedGolixPrimitive } from './errors.js';
import { GHID_LENGTH, Ghid } from './ghid.js';

/**
 * A bounds-checked big-endian reader. Every overrun becomes MalformedGolixPrimitive, so
 * parsers never throw RangeError on hostile input.
 */
export class Reader {
  private pos = 0;
  constructor(
    readonly buf: Buffer,
    private readonly what: string,
  ) {}

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  take(n: number): Buffer {
    if (n < 0 || this.pos + n > this.buf.length) {
      throw new MalformedGolixPrimitive(
        `${this.what}: truncated (needs ${n} bytes at offset ${this.pos}, has ${this.remaining})`,
      );
    }
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Moves past `n` bytes (bounds-checked) and returns where they start, without a subarray. */
  private skip(n: number): number {
    if (this.pos + n > this.buf.length) this.take(n); // throws the truncation error
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(): number {
    return this.buf[this.skip(1)]!;
  }

  u16(): number {
    return this.buf.readUInt16BE(this.skip(2));
  }

  u32(): number {
    return this.buf.readUInt32BE(this.skip(4));
  }

  u64(): bigint {
    return this.buf.readBigUInt64BE(this.skip(8));
  }

  ghid(): Ghid {
    return Ghid.view(this.take(GHID_LENGTH));
  }

  /** A list of GHIDs occupying exactly `byteLength` bytes. */
  ghidList(byteLength: number): Ghid[] {
    if (byteLength % GHID_LENGTH !== 0) {
      throw new MalformedGolixPrimitive(`${this.what}: GHID list length ${byteLength} is not a multiple of 65`);
    }
    const out: Ghid[] = [];
    for (let i = 0; i < byteLength / GHID_LENGTH; i++) out.push(this.ghid());
    return out;
  }

  /** Requires that the whole buffer has been consumed: no trailing bytes. */
  end(): void {
    if (this.remaining !== 0) {
      throw new MalformedGolixPrimitive(`${this.what}: ${this.remaining} unexpected trailing bytes`);
    }
  }
}

export function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

export function u64(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(n);
  return b;
}
