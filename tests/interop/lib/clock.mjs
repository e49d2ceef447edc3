// A fixed "now" for code that reads the clock itself (verifier-core passes no `now` to
// @digitalcredentials/vc, and status-list checks in both stacks call new Date()).
const RealDate = globalThis.Date;

export async function withClock(now, fn) {
  if(!now) {
    return fn();
  }
  const fixed = new RealDate(now).getTime();
  if(Number.isNaN(fixed)) {
    throw new Error(`--now: not a date-time: ${now}`);
  }
  class FixedDate extends RealDate {
    constructor(...args) {
      if(args.length === 0) {
        super(fixed);
      } else {
        super(...args);
      }
    }
    static now() {
      return fixed;
    }
  }
  globalThis.Date = FixedDate;
  try {
    return await fn();
  } finally {
    globalThis.Date = RealDate;
  }
}
