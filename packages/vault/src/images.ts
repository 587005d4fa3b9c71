import type { PinnedImage } from '@db/core';

/** curl for the push-password job (POSIX sh, awk and curl; runs as uid 100). */
export const CURL_IMAGE: PinnedImage = { registry: 'docker.io', repository: 'curlimages/curl', tag: '8.11.1' };
/** uid of `curl_user` in the curl image. */
export const CURL_UID = 100;
