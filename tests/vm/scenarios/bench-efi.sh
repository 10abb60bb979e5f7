# What the EFI hand-over costs a load under UEFI: alternating -c -i loads (no digests, so the
# difference is not drowned by hashing) with and without --noefi, and the same dry runs; then
# kexec-tools' -c -i load in the same guest for the ratio.
. /scenarios/lib.sh
for i in 1 2 3 4 5 6 7; do
    split_time dry-efi /bin/kexec --dry-run -c -i -l "$KERNEL" --append=x
    split_time dry-noefi /bin/kexec --dry-run --noefi -c -i -l "$KERNEL" --append=x
    split_time load-efi /bin/kexec -c -i -l "$KERNEL" --append=x
    /bin/kexec -u
    split_time load-noefi /bin/kexec --noefi -c -i -l "$KERNEL" --append=x
    /bin/kexec -u
    split_time peer-load /bin/kexec-tools -c -i -l "$KERNEL" --append=x
    /bin/kexec-tools -u
done
