/** The push-password job runs the platform's pinned curl image (@db/core). */
export { CURL_IMAGE, CURL_UID } from '@db/core';
