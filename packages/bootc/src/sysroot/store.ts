import type { Store } from "@particle/composefs";

/**
 * What bootc needs from the image store (@particle/composefs's `Store`). Deployments refer to images
 * by manifest digest, so moving a tag never changes what a deployment boots.
 */
export type DeployStore = Pick<
  Store,
  "root" | "resolve" | "commitImage" | "remove" | "blobPath" | "mount" | "unmount"
>;
