// Flatten an error (with .cause, .errors, jsigs VerificationError) into
// [{name, message}] so that the real reason under a wrapper is visible in the report.
export function flattenErrors(error, out = [], depth = 0, seen = new Set()) {
  if(!error || depth > 6 || seen.has(error)) {
    return out;
  }
  seen.add(error);
  if(typeof error !== 'object') {
    out.push({name: 'Error', message: String(error)});
    return out;
  }
  const entry = {name: error.name || 'Error', message: error.message};
  if(error.requestUrl) {
    entry.url = error.requestUrl;
  }
  if(error.message !== undefined || error.name) {
    out.push(entry);
  }
  if(Array.isArray(error.errors)) {
    for(const e of error.errors) {
      flattenErrors(e, out, depth + 1, seen);
    }
  }
  if(error.cause) {
    flattenErrors(error.cause, out, depth + 1, seen);
  }
  if(error.details?.cause) {
    flattenErrors(error.details.cause, out, depth + 1, seen);
  }
  return out;
}

/** Drop exact duplicates, keep order. */
export function uniqueErrors(list) {
  const seen = new Set();
  return list.filter(e => {
    const key = JSON.stringify(e);
    if(seen.has(key)) {
      return false;
    }
    seen.add(key);
    return true;
  });
}
