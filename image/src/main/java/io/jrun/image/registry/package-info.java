/**
 * Images from an OCI distribution registry (the v2 API), with the JDK's HttpClient.
 *
 * <ul>
 *   <li>{@link io.jrun.image.registry.RegistryReference}: {@code HOST[:PORT]/REPO[:TAG|@DIGEST]},
 *       Docker Hub's defaults for bare names;</li>
 *   <li>{@link io.jrun.image.registry.RegistrySource}: one repository as an
 *       {@link io.jrun.image.ImageSource}: manifests and indexes (OCI and Docker schema 2) by tag or
 *       digest, the digest checked; blobs from an offset with HTTP ranges, redirects followed without
 *       the registry's credentials;</li>
 *   <li>transport: HTTPS with the JDK's trust store; plain HTTP for registries on loopback
 *       (localhost, 127.0.0.0/8, ::1); with {@code tlsVerify=false}
 *       ({@link io.jrun.image.registry.RegistryOptions}) HTTPS without certificate checks, then HTTP;</li>
 *   <li>auth: the {@code /v2/} ping's challenge ({@link io.jrun.image.registry.Challenge}), Basic,
 *       or Bearer tokens from the realm cached per scope and renewed after a 401; credentials from
 *       Podman's and Docker's auth files ({@link io.jrun.image.registry.AuthFiles}; credential helpers
 *       are named in errors, not run).</li>
 * </ul>
 *
 * <p>Errors are one line: the operation, the image or blob, the HTTP status and the registry's error
 * code and message, e.g. {@code pull manifest localhost:5000/busybox:latest: 404 MANIFEST_UNKNOWN
 * manifest unknown}. Failures to reach the registry are {@link java.io.IOException}s naming the URL
 * and the cause, so that a caller can retry and resume a blob; what the registry refused is an
 * {@link io.jrun.image.ImageException}.
 */
package io.jrun.image.registry;
