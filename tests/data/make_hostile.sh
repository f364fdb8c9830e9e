#!/usr/bin/env bash
# Writes the hostile and broken CSV files of the reliability tests.
#   make_hostile.sh small DIR   the small files (committed in tests/data/hostile)
#   make_hostile.sh large DIR   the large ones (made at test time: a 30 MB field, 10,000 columns, a 4 MB line)
# Target table: (time timestamptz NOT NULL, device_id int NOT NULL, temperature float8, status text)
set -euo pipefail
mode=$1 dir=$2
mkdir -p "$dir"
cd "$dir"
h='time,device_id,temperature,status'
ok='2026-01-01 00:00:00+00,1,20.5,ok'
if [ "$mode" = small ]; then
    head -c 2048 /dev/urandom >random_bytes.csv
    { echo "$h"; printf '2026-01-01 00:00:00+00,1,2\0000,ok\n'; echo "$ok"; } >nul_bytes.csv
    { echo "$h"; echo "$ok"; printf '2026-01-01 01:00:00+00,2,21,"never closed\n2026-01-01 02:00:00+00,3,22,ok\n'; } >unterminated_quote_eof.csv
    { echo "$h"; echo "2026-01-01 00:00:00+00,1,20,Grüße"; printf '2026-01-01 01:00:00+00,2,21,Gr\xfc\xdfe\n'; } >mixed_encodings.csv
    { echo "$h"; echo "$ok"; printf '\xef\xbb\xbf2026-01-01 01:00:00+00,2,21,ok\n'; } >bom_in_middle.csv
    { printf '%s\r' "$h" "$ok" '2026-01-01 01:00:00+00,2,21,ok'; } >lone_cr_line_ends.csv
    : >empty.csv
    echo "$h" >header_only.csv
    printf '\xef\xbb\xbf' >bom_only.csv
    { echo "$h"; echo "2026-01-01 00:00:00+00,1,20,=cmd|' /C calc'!A0"; echo "2026-01-01 01:00:00+00,2,21,\"=HYPERLINK(\"\"http://x\"\")\""; echo "2026-01-01 02:00:00+00,3,22,@SUM(1+1)"; } >formula_cells.csv
    { echo "$h"; echo "$ok"; echo "2026-01-01 01:00:00+00,2"; echo "2026-01-01 02:00:00+00,3,22,ok,extra,fields"; } >ragged_rows.csv
    { echo "$h"; echo ",,,"; echo ",,,"; } >only_delimiters.csv
    { echo "$h"; echo '2026-01-01 00:00:00+00,1,20,5" screen'; } >quote_in_unquoted_field.csv
    { echo "$h"; echo '2026-01-01 00:00:00+00,1,20,"ok"trailing'; echo "$ok"; } >text_after_closing_quote.csv
    { printf '%s\r\n' "$h" "$ok"; printf '2026-01-01 01:00:00+00,2,21,ok\n'; printf '2026-01-01 02:00:00+00,3,22,ok\r'; } >mixed_line_ends.csv
    { printf '%s\n%s\n' "$h" "$ok" | iconv -f utf-8 -t utf-16le; } >utf16le_without_bom.csv
    { printf '\xff\xfe'; printf '%s\r\n%s\r\n' "$h" "$ok" | iconv -f utf-8 -t utf-16le; } >utf16le_with_bom.csv
    { printf '\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10'; head -c 512 /dev/urandom; } >png_renamed.csv
    { echo "$h"; printf '2026-01-01 00:00:00+00,1,20,a\x01b\x07c\x1bd\n'; } >control_characters.csv
    { echo "$h"; echo '2026-01-01 00:00:00+00,1,20,""""""""'; echo '"""",1,20,ok'; } >many_quotes.csv
    { echo 'time,time,device_id,temperature'; echo '2026-01-01 00:00:00+00,2026-01-02 00:00:00+00,1,20'; } >duplicate_header.csv
    { echo 'time,,device_id,'; echo '2026-01-01 00:00:00+00,x,1,y'; } >blank_header_names.csv
    { echo "$h"; echo 'yesterday,1,20,ok'; echo '2026-02-30 10:00,1,20,ok'; echo '0000-00-00 00:00:00,1,20,ok'; echo '99999-01-01,1,20,ok'; } >garbage_dates.csv
    { echo "$h"; echo '2026-01-01 00:00:00+00,1,1e400,ok'; echo '2026-01-01 01:00:00+00,1,-1e999,ok'; echo '2026-01-01 02:00:00+00,1,NaN,ok'; } >float_overflow.csv
    { echo "$h"; echo '2026-01-01 00:00:00+00,99999999999,20,ok'; echo '2026-01-01 01:00:00+00,-2147483649,20,ok'; } >integer_overflow.csv
    { echo "$h"; printf '   \n\t\n'; echo "$ok"; } >whitespace_lines.csv
    { echo "$h"; echo "2026-01-01 00:00:00+00,1,20,'); DROP TABLE hostile; --"; echo "2026-01-01 01:00:00+00,2,21,x\"; DROP TABLE y; --"; } >sql_injection_text.csv
    { echo "$h"; printf '2026-01-01 00:00:00+00,1,20,"line one\nline two\r\nline three"\n'; } >newlines_in_quotes.csv
    { echo "$h"; echo '2026-01-01 00:00:00+00,1,20,ok'; printf '2026-01-01 01:00:00+00,2,21,"unterminated at the very end'; } >quote_open_at_eof_no_newline.csv
    { echo "time;device_id;temperature;status"; echo "2026-01-01 00:00:00+00;1;20,5;ok"; } >semicolon_decimal_comma.csv
    { echo "$h"; echo '  2026-01-01 00:00:00+00 , 1 , 20.5 , padded '; } >padded_fields.csv
    { echo "$h"; echo '2026-01-01 00:00:00+00,1,20,😀 emoji and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢'; } >astral_unicode.csv
    { echo "$h"; echo '2026-01-01 00:00:00+00,,20,missing device'; echo ',2,20,missing time'; } >missing_required.csv
elif [ "$mode" = large ]; then
    { echo "$h"; printf '2026-01-01 00:00:00+00,1,20,'; head -c $((30 * 1024 * 1024)) /dev/zero | tr '\0' 'x'; printf '\n'; echo "$ok"; } >field_30mb.csv
    { seq -s, -f 'c%g' 1 10000; seq -s, 1 10000; } >columns_10000.csv
    { echo "$h"; printf '2026-01-01 00:00:00+00,1,20,'; head -c $((4 * 1024 * 1024)) /dev/zero | tr '\0' 'y'; printf '\n'; } >line_4mb.csv
else
    echo "usage: make_hostile.sh small|large DIR" >&2
    exit 2
fi
